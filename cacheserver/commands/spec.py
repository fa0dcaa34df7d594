"""CommandSpec and the ``@command`` decorator: the one place a command's facts are declared.

A handler is ``handler(client, argv) -> reply``: ``argv`` is the whole request (``argv[0]`` is the
name as the client sent it), ``client`` the ClientState (with ``.db`` and ``.server``). The spec drives
dispatch (arity, flag gates), COMMAND INFO/DOCS/GETKEYS, ACL categories and per-command stats.

Facts (arity, flags, key positions, syntax, since) follow Redis's documentation; summaries are ours.
The decorator only attaches the spec to the function: the table is built by ``table.build`` from an
explicit list of modules, never as a side effect of importing one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, list], Any]

# Flag names as COMMAND INFO prints them.
WRITE = "write"
READONLY = "readonly"
DENYOOM = "denyoom"
ADMIN = "admin"
PUBSUB = "pubsub"
NOSCRIPT = "noscript"
BLOCKING = "blocking"
LOADING = "loading"
STALE = "stale"
SKIP_MONITOR = "skip_monitor"
SKIP_SLOWLOG = "skip_slowlog"
FAST = "fast"
NO_AUTH = "no_auth"
MAY_REPLICATE = "may_replicate"
NO_MANDATORY_KEYS = "no_mandatory_keys"
NO_MULTI = "no_multi"
ALLOW_BUSY = "allow_busy"
MOVABLEKEYS = "movablekeys"

# Which ACL category a command group belongs to (Redis's @string, @hash, ...).
GROUP_CATEGORIES = {
    "string": "@string",
    "bitmap": "@bitmap",
    "list": "@list",
    "set": "@set",
    "sorted-set": "@sortedset",
    "hash": "@hash",
    "hyperloglog": "@hyperloglog",
    "stream": "@stream",
    "geo": "@geo",
    "pubsub": "@pubsub",
    "scripting": "@scripting",
    "transactions": "@transaction",
    "connection": "@connection",
    "generic": "@keyspace",
    "server": None,
    "cluster": None,
}


ARGC_UNBOUNDED = 1 << 30  # argc_max of a variable-arity command (a small int: compares stay cheap)


class CommandSpec:
    __slots__ = (
        "name",
        "fullname",
        "_arity",
        "argc_min",
        "argc_max",
        "flags",
        "first_key",
        "last_key",
        "key_step",
        "group",
        "since",
        "summary",
        "complexity",
        "syntax",
        "acl",
        "tips",
        "key_specs",
        "handler",
        "subcommands",
        "parent",
        "calls",
        "total_ns",
        "rejected_calls",
        "failed_calls",
        "is_write",
        "script_write",
        "is_denyoom",
        "no_auth",
        "allowed_in_pubsub",
        "no_multi",
        "getkeys",
        "doc_flags",
        "history",
        "deprecated_since",
        "replaced_by",
    )

    def __init__(
        self,
        name: str,
        arity: int,
        flags: str = "",
        keys: tuple[int, int, int] = (0, 0, 0),
        group: str = "generic",
        since: str = "1.0.0",
        summary: str = "",
        complexity: str = "",
        syntax: str = "",
        acl: str = "",
        tips: str = "",
        key_specs: list[dict] | None = None,
        getkeys: Callable[[list], list[int]] | None = None,
        doc_flags: str = "",
        history: list[tuple[str, str]] | None = None,
        deprecated_since: str = "",
        replaced_by: str = "",
    ) -> None:
        self.name = name.lower()
        self.fullname = self.name
        self.subcommands: dict[bytes, CommandSpec] | None = None
        self.arity = arity
        self.flags = tuple(flags.split())
        self.first_key, self.last_key, self.key_step = keys
        self.group = group
        self.since = since
        self.summary = summary
        self.complexity = complexity
        self.syntax = syntax
        self.tips = tuple(tips.split())
        self.key_specs = key_specs
        self.getkeys = getkeys
        self.doc_flags = tuple(doc_flags.split())
        self.history = history or []
        self.deprecated_since = deprecated_since
        self.replaced_by = replaced_by
        self.handler: Handler | None = None
        self.parent: CommandSpec | None = None
        self.calls = 0
        self.total_ns = 0
        self.rejected_calls = 0
        self.failed_calls = 0
        self.is_write = WRITE in self.flags
        # A script that may not write may not run these either (Redis's scriptVerifyWriteCommandAllow
        # counts may_replicate commands, PFCOUNT and PUBLISH, as writes there).
        self.script_write = self.is_write or MAY_REPLICATE in self.flags
        self.is_denyoom = DENYOOM in self.flags
        self.no_auth = NO_AUTH in self.flags
        self.no_multi = NO_MULTI in self.flags
        self.allowed_in_pubsub = False
        self.acl = self._acl_categories(acl)

    def _acl_categories(self, extra: str) -> tuple[str, ...]:
        cats: list[str] = []
        f = self.flags
        if WRITE in f:
            cats.append("@write")
        if READONLY in f and self.group != "scripting":
            cats.append("@read")
        if ADMIN in f:
            cats += ["@admin", "@dangerous"]
        if PUBSUB in f:
            cats.append("@pubsub")
        if FAST in f:
            cats.append("@fast")
        if BLOCKING in f:
            cats.append("@blocking")
        if FAST not in f:
            cats.append("@slow")
        group_cat = GROUP_CATEGORIES.get(self.group)
        if group_cat and group_cat not in cats:
            cats.append(group_cat)
        for c in extra.split():
            if c not in cats:
                cats.append(c)
        return tuple(cats)

    @property
    def arity(self) -> int:
        return self._arity

    @arity.setter
    def arity(self, arity: int) -> None:
        self._arity = arity
        self.compile_arity()

    def compile_arity(self) -> None:
        """The argument counts that run this spec directly, as the dispatcher's one test
        ``argc_min <= argc <= argc_max``: fixed arity N: N..N; variable arity -N: N and up. A container
        runs itself only as a bare ``COMMAND`` (arity -1, one argument); any other count resolves a
        subcommand or is an arity error, in the dispatcher's slow branch."""
        a = self._arity
        if self.subcommands is not None:
            self.argc_min, self.argc_max = (1, 1) if a == -1 else (1, 0)
        elif a >= 0:
            self.argc_min = self.argc_max = a
        else:
            self.argc_min, self.argc_max = -a, ARGC_UNBOUNDED

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def arity_ok(self, n: int) -> bool:
        a = self.arity
        return n == a or (a < 0 and n >= -a)

    def key_positions(self, argv: list[bytes]) -> list[int]:
        """Indexes of the key arguments in ``argv`` (COMMAND GETKEYS, cluster routing, ACL)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.key_step or 1))

    def __repr__(self) -> str:
        return f"<CommandSpec {self.fullname} arity={self.arity}>"


def command(name: str, arity: int, **facts: Any) -> Callable[[Handler], Handler]:
    """Declare ``handler`` as the implementation of ``name`` (``"config|get"`` for a subcommand)."""

    def attach(handler: Handler) -> Handler:
        spec = CommandSpec(name.split("|")[-1], arity, **facts)
        spec.handler = handler
        if "|" in name:
            spec.fullname = name.lower()
        specs = getattr(handler, "specs", None)
        if specs is None:
            handler.specs = specs = []  # type: ignore[attr-defined]
        specs.append(spec)
        return handler

    return attach
