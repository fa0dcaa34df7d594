"""The ``cacheserver`` command: build a Config from a file and flags, then run a Server.

``cacheserver [CONFIG_FILE] [--directive value ...]`` mirrors ``redis-server``: any directive of the
config table can be given as a ``--name value`` flag after the optional file, and flags win over the
file. With no file the built-in defaults apply (127.0.0.1:6379).
"""

from __future__ import annotations

import sys

import click

from cacheserver import __version__
from cacheserver.config import Config, ConfigFileError


def _quote(arg: str) -> str:
    if arg and not any(ch.isspace() or ch in "\"'\\" for ch in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _options_text(args: list[str]) -> str:
    """``--port 7000 --save "" --bind a b`` -> config-file lines, as redis-server builds them."""
    lines: list[str] = []
    for arg in args:
        if arg.startswith("--") and len(arg) > 2:
            lines.append(arg[2:])
        elif lines:
            lines[-1] += " " + _quote(arg)
        else:
            raise click.UsageError(f"unexpected argument {arg!r}: options look like --port 7000")
    return "\n".join(lines)


def build_config(config_file: str | None, options: list[str]) -> Config:
    config = Config()
    if config_file:
        config.load_file(config_file)
    if options:
        config.apply_text(_options_text(options), origin="(command line)")
    return config


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h", "--help"]}
)
@click.argument("config_file", required=False, type=click.Path(dir_okay=False))
@click.version_option(__version__, "-v", "--version", prog_name="cacheserver")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Run a Redis-compatible cache server.

    CONFIG_FILE is a redis.conf-style file (optional). Any directive can also be given as a flag,
    for example: cacheserver --port 7000 --maxmemory 100mb --maxmemory-policy allkeys-lru
    """
    options = list(ctx.args)
    if config_file and config_file.startswith("--"):
        options.insert(0, config_file)
        config_file = None
    try:
        config = build_config(config_file, options)
    except ConfigFileError as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    from cacheserver.server import Server, setup_logging

    setup_logging(config)
    try:
        Server(config).run()
    except OSError as e:
        click.echo(f"Could not start the server: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
