"""The command table: name -> CommandSpec, built from an explicit list of command modules.

Lookup is one dict ``get`` on the name exactly as the client sent it: the table holds the lower-case
and upper-case spellings of every name, and any other spelling falls back to ``lower()``. A command
with subcommands (CONFIG, CLIENT, ...) is a container spec whose handler dispatches on ``argv[1]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from cacheserver.commands.spec import CommandSpec
from cacheserver.errors import unknown_subcommand, wrong_arity


class CommandTable:
    def __init__(self) -> None:
        self.specs: dict[str, CommandSpec] = {}  # lower-case name -> spec (top-level commands)
        self.by_name: dict[bytes, CommandSpec] = {}

    def add(self, spec: CommandSpec) -> None:
        if "|" in spec.fullname:
            parent_name, sub = spec.fullname.split("|", 1)
            parent = self.specs.get(parent_name)
            if parent is None:
                parent = CommandSpec(parent_name, -2, group=spec.group, since=spec.since)
                self.add(parent)
            if parent.subcommands is None:
                parent.subcommands = {}
                parent.compile_arity()
                if parent.handler is None:
                    parent.handler = _container_handler(parent)
            spec.parent = parent
            parent.subcommands[sub.encode()] = spec
            return
        existing = self.specs.get(spec.name)
        if existing is not None and existing.subcommands is not None:
            # A container declared after its subcommands: keep the subcommands.
            spec.subcommands = existing.subcommands
            spec.compile_arity()
            for sub in spec.subcommands.values():
                sub.parent = spec
            if spec.handler is None:
                spec.handler = _container_handler(spec)
        self.specs[spec.name] = spec
        raw = spec.name.encode()
        self.by_name[raw] = spec
        self.by_name[raw.upper()] = spec

    def lookup(self, name: bytes) -> CommandSpec | None:
        spec = self.by_name.get(name)
        if spec is None:
            spec = self.by_name.get(name.lower())
        return spec

    def lookup_sub(self, argv: list[bytes]) -> CommandSpec | None:
        """The spec that would run ``argv``: the subcommand's for a container (None if unknown)."""
        spec = self.lookup(argv[0])
        if spec is not None and spec.subcommands is not None and len(argv) > 1:
            return spec.subcommands.get(argv[1].lower())
        return spec

    def all_specs(self) -> Iterable[CommandSpec]:
        """Every command and subcommand."""
        for spec in self.specs.values():
            yield spec
            if spec.subcommands:
                yield from spec.subcommands.values()

    def __len__(self) -> int:
        return len(self.specs)


def _container_handler(parent: CommandSpec):
    def run_subcommand(c: Any, argv: list[bytes]) -> Any:
        sub = parent.subcommands.get(argv[1].lower())  # type: ignore[union-attr]
        if sub is None:
            raise unknown_subcommand(argv[1], parent.name)
        if not sub.arity_ok(len(argv)):
            raise wrong_arity(sub.fullname)
        return sub.handler(c, argv)  # type: ignore[misc]

    return run_subcommand


def module_specs(module: ModuleType) -> Iterable[CommandSpec]:
    """The specs a module declares: on its handlers (``@command``) and as module-level containers."""
    for value in vars(module).values():
        if isinstance(value, CommandSpec):
            yield value
        elif callable(value) and getattr(value, "__module__", None) == module.__name__:
            yield from getattr(value, "specs", ())


def build(modules: Iterable[ModuleType]) -> CommandTable:
    table = CommandTable()
    subs: list[CommandSpec] = []
    for module in modules:
        for spec in module_specs(module):
            if "|" in spec.fullname:
                subs.append(spec)
            else:
                table.add(spec)
    for spec in subs:
        table.add(spec)
    return table


def container(name: str, **facts: Any) -> CommandSpec:
    """Declare a command that only groups subcommands, with its own facts for COMMAND INFO/DOCS."""
    return CommandSpec(name, -2, **facts)
