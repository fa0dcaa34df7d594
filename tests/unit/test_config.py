"""The config table: parsing by kind, bounds, CONFIG SET atomicity, config files, CONFIG REWRITE, and the
shipped conf/cacheserver.conf holding exactly the built-in defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from cacheserver.config import (
    BY_NAME,
    DIRECTIVES,
    Config,
    ConfigArgError,
    ConfigError,
    ConfigFileError,
    ConfigUnknown,
    parse_memory,
)

ROOT = Path(__file__).resolve().parents[2]


def test_memory_units():
    assert parse_memory("1k") == 1000 and parse_memory("1KB") == 1024
    assert parse_memory("2mb") == 2 * 1024**2 and parse_memory("1g") == 10**9 and parse_memory("10") == 10
    for bad in ("-1", "1x", "1.5mb", " 1", "1 ", "+1", "1" * 128):
        with pytest.raises(ConfigError, match="argument must be a memory value"):
            parse_memory(bad)
    # memtoull's quirks, as redis-server 7.0.15 shows them through CONFIG SET maxmemory: no digits
    # read as 0, an overflowing number saturates, and the unit's product wraps around 2**64.
    assert parse_memory("") == 0 and parse_memory("kb") == 0 and parse_memory("1B") == 1
    assert parse_memory("99999999999999999999") == 2**64 - 1
    assert parse_memory("18446744073709551615k") == (2**64 - 1) * 1000 % 2**64


def test_every_default_parses_and_bounded_kinds_have_bounds():
    config = Config()
    for d in DIRECTIVES:
        assert d.name in config.values
        if d.kind in ("int", "memory"):
            assert d.lo is not None and d.hi is not None, d.name


def test_set_many_is_all_or_nothing():
    config = Config()
    with pytest.raises(ConfigArgError) as e:
        config.set_many([("maxmemory", "1mb"), ("activerehashing", "maybe")])
    assert (e.value.name, e.value.reason) == ("activerehashing", "argument must be 'yes' or 'no'")
    assert config["maxmemory"] == 0
    with pytest.raises(ConfigUnknown):
        config.set_many([("nosuch", "1")])


def test_watcher_failure_restores_earlier_values():
    config = Config()
    seen = []
    config.watch("maxmemory", seen.append)

    def refuse(value):
        if value == 7:
            raise ConfigError("refused")

    config.watch("maxmemory-samples", refuse)
    with pytest.raises(ConfigArgError):
        config.set_many([("maxmemory", "100"), ("maxmemory-samples", "7")])
    assert config["maxmemory"] == 0 and seen == [0, 100, 0]


def test_protected_and_immutable():
    config = Config()
    with pytest.raises(ConfigArgError, match="can't set protected config"):
        config.set_many([("dir", "/tmp")])
    config.set_many([("dir", "/tmp")], allow_protected=True)
    with pytest.raises(ConfigArgError, match="can't set immutable config"):
        config.set_many([("databases", "4")])
    config.set_value("databases", "4", startup=True)
    assert config["databases"] == 4


def test_aliases_and_globs():
    config = Config()
    config.set_many([("hash-max-ziplist-entries", "100")])
    assert config["hash-max-listpack-entries"] == 100
    assert dict(config.matching("hash-max-*-entries")) == {
        "hash-max-listpack-entries": "100",
        "hash-max-ziplist-entries": "100",
    }
    assert BY_NAME["busy-reply-threshold"].aliases == ["lua-time-limit"]


def test_output_buffer_limit_merges_classes():
    config = Config()
    config.set_many([("client-output-buffer-limit", "pubsub 1mb 2mb 3")])
    assert config.format("client-output-buffer-limit") == (
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3"
    )


def test_shipped_conf_holds_the_built_in_defaults():
    loaded = Config()
    loaded.load_file(str(ROOT / "conf" / "cacheserver.conf"))
    defaults = Config()
    differing = [n for n in defaults.values if n != "dir" and loaded.values[n] != defaults.values[n]]
    assert differing == []


def test_bad_line_names_file_line_and_directive(tmp_path):
    conf = tmp_path / "x.conf"
    conf.write_text("port 7000\n\nhz abc\n")
    with pytest.raises(ConfigFileError) as e:
        Config().load_file(str(conf))
    assert (e.value.lineno, e.value.directive) == (3, "hz")
    assert f"Reading the configuration file {conf}, at line 3" in str(e.value)
    assert "Directive 'hz': argument couldn't be parsed into an integer" in str(e.value)


def test_include_and_rewrite_keep_comments(tmp_path):
    (tmp_path / "extra.conf").write_text("maxmemory-policy allkeys-lfu\n")
    conf = tmp_path / "main.conf"
    conf.write_text("# top comment\nport 7000\ninclude extra.conf\nmaxmemory 1mb\n# tail\n")
    config = Config()
    config.load_file(str(conf))
    assert config["maxmemory-policy"] == "allkeys-lfu" and config["maxmemory"] == 1024**2
    config.set_many([("maxmemory", "2mb"), ("requirepass", "s3cret word")])
    config.rewrite()
    lines = conf.read_text().splitlines()
    assert lines[:5] == ["# top comment", "port 7000", "include extra.conf", "maxmemory 2097152", "# tail"]
    assert "requirepass 's3cret word'" in lines
    again = Config()
    again.load_file(str(conf))
    assert again["requirepass"] == "s3cret word" and again["maxmemory"] == 2 * 1024**2


def test_rewrite_round_trips_empty_values(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text('notify-keyspace-events "KEA"\nsave 60 1\n')
    config = Config()
    config.load_file(str(conf))
    config.set_many([("notify-keyspace-events", ""), ("save", ""), ("masterauth", "")])
    config.rewrite()
    assert conf.read_text() == 'notify-keyspace-events ""\nsave ""\n'
    again = Config()
    again.load_file(str(conf))
    assert again.format("notify-keyspace-events") == "" and again["save"] == []


def test_rewrite_without_file():
    with pytest.raises(ConfigError, match="The server is running without a config file"):
        Config().rewrite()
