"""COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP), rendered from
the CommandSpec declarations.

COMMAND INFO is what cluster clients read for key positions (first/last/step, ``movablekeys``), so it
comes straight from the spec. COMMAND DOCS builds the ``arguments`` tree that redis-cli uses for its
hints by parsing the spec's ``syntax`` string (Redis's docs notation: ``key value [NX | XX]
[EX seconds | PX milliseconds]``, ``key [key ...]``).

COMMAND GETKEYS and GETKEYSANDFLAGS find keys as Redis 7.0 does: through the key specs when they are
reliable (no ``variable_flags``, nothing ``unknown`` or ``incomplete``), else through the command's own
key finder, with the flags Redis's getkeys procs give.

Known differences from Redis: key-spec flags are derived from the command's flags (RO/access for
read-only commands, RW/update for writes) unless a spec declares ``key_specs``; argument names of ``oneof`` groups are made from their members (Redis names them by
hand, e.g. ``condition``); per-argument ``since`` and command ``history`` are only shown when declared.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import CommandSpec, command
from cacheserver.commands.table import container
from cacheserver.errors import CommandError
from cacheserver.numbers import parse_ll
from cacheserver.protocol.replies import Map, SetReply

COMMAND = container(
    "command",
    group="connection",
    since="2.8.13",
    summary="Describe the server's commands.",
    complexity="O(N) where N is the total number of Redis commands",
    flags="loading stale",
    tips="nondeterministic_output_order",
)


Status = str  # flags and categories are simple strings (``+write``)


# Redis prints a command's categories in the order of its category table.
_CATEGORY_ORDER = {
    name: i
    for i, name in enumerate(
        "@keyspace @read @write @set @sortedset @list @hash @string @bitmap @hyperloglog @geo @stream @pubsub "
        "@admin @fast @slow @blocking @dangerous @connection @transaction @scripting".split()
    )
}


def _container_acl(spec: CommandSpec) -> list[str]:
    return sorted(spec.acl, key=lambda c: _CATEGORY_ORDER.get(c, len(_CATEGORY_ORDER)))


def _flags(spec: CommandSpec) -> list[str]:
    flags = [f for f in spec.flags if f != "may_replicate"]  # Redis hides it from COMMAND on purpose
    if spec.getkeys is not None and "movablekeys" not in flags:
        flags.append("movablekeys")
    return flags


def _legacy_key_spec(spec: CommandSpec) -> dict | None:
    """The key spec of a command that declares none: its first/last/step range, flags from its command flags."""
    if spec.first_key <= 0:
        return None
    last = spec.last_key - spec.first_key if spec.last_key >= 0 else spec.last_key
    return {
        "flags": ["RW", "update"] if spec.is_write else ["RO", "access"],
        "begin_search": {"type": "index", "spec": {"index": spec.first_key}},
        "find_keys": {"type": "range", "spec": {"lastkey": last, "keystep": spec.key_step, "limit": 0}},
    }


def _spec_list(spec: CommandSpec) -> list[dict]:
    if spec.key_specs is not None:
        return spec.key_specs
    legacy = _legacy_key_spec(spec)
    return [legacy] if legacy is not None else []


def _key_specs(spec: CommandSpec) -> list[Any]:
    return [_render_key_spec(ks) for ks in _spec_list(spec)]


def _render_key_spec(ks: dict) -> Map:
    pairs: list[tuple[Any, Any]] = []
    for k, v in ks.items():
        if k == "flags":
            v = SetReply(Status(f) for f in (v.split() if isinstance(v, str) else v))
        elif isinstance(v, dict):
            v = _render_key_spec(v)
        elif isinstance(v, str):
            v = v.encode()
        pairs.append((k.encode(), v))
    return Map(pairs)


def command_info(spec: CommandSpec) -> list[Any]:
    subs = [command_info(s) for s in spec.subcommands.values()] if spec.subcommands else []
    return [
        spec.fullname.encode(),
        spec.arity,
        SetReply(Status(f) for f in _flags(spec)),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply(Status(a) for a in _container_acl(spec)),
        SetReply(t.encode() for t in spec.tips),
        _key_specs(spec),
        subs,
    ]


# -- the arguments tree from the syntax string ---------------------------------------------------------

_TOKEN_RE = re.compile(r"\[|\]|<|>|\||\.\.\.|[^\s\[\]|<>]+")
_INTEGER_NAMES = {
    "seconds",
    "milliseconds",
    "count",
    "timeout",
    "index",
    "offset",
    "start",
    "end",
    "stop",
    "numkeys",
    "numreplicas",
    "db",
    "destination-db",
    "index1",
    "index2",
    "client-id",
    "ttl",
    "len",
    "numlocal",
    "increment-int",
    "bit",
    "numsubcommands",
    "maxlen",
    "threshold",
}
_DOUBLE_NAMES = {
    "score",
    "min-score",
    "max-score",
    "increment-float",
    "longitude",
    "latitude",
    "radius",
    "width",
    "height",
}
_KEY_NAMES = {"key", "destination", "source", "newkey", "destkey", "sourcekey", "srckey", "dstkey"}


def _is_token(word: str) -> bool:
    return any(ch.isalpha() for ch in word) and word.upper() == word


def _arg_type(name: str) -> str:
    if name in _KEY_NAMES:
        return "key"
    if name.startswith("unix-time"):
        return "unix-time"
    if name in _INTEGER_NAMES:
        return "integer"
    if name in _DOUBLE_NAMES:
        return "double"
    if name == "pattern":
        return "pattern"
    return "string"


class _Arg:
    __slots__ = ("name", "type", "token", "flags", "args")

    def __init__(self, name: str, type_: str, token: str | None = None, args: list[_Arg] | None = None) -> None:
        self.name = name
        self.type = type_
        self.token = token
        self.flags: list[str] = []
        self.args = args or []

    def same_as(self, other: _Arg) -> bool:
        return (
            self.name == other.name
            and self.type == other.type
            and self.token == other.token
            and len(self.args) == len(other.args)
            and all(a.same_as(b) for a, b in zip(self.args, other.args, strict=True))
        )


def parse_syntax(syntax: str) -> list[_Arg]:
    """Redis's docs syntax -> argument tree: ``[...]`` optional, ``<a | b>`` a required choice,
    ``x [x ...]`` repetition, UPPERCASE words tokens. Raises ValueError for unbalanced brackets."""
    tokens = _TOKEN_RE.findall(syntax)
    pos = 0
    specials = ("[", "]", "<", ">", "|", "...")

    def sequence() -> list[_Arg]:
        nonlocal pos
        items: list[_Arg] = []
        while pos < len(tokens) and tokens[pos] not in ("|", "]", ">"):
            t = tokens[pos]
            pos += 1
            if t == "[":
                group = alternatives("]")
                if group is None or _repeat_of(items, group):
                    continue
                group.flags.insert(0, "optional")
                items.append(group)
            elif t == "<":
                group = alternatives(">")
                if group is not None:
                    items.append(group)
            elif t == "...":
                continue
            elif _is_token(t):
                nxt = tokens[pos] if pos < len(tokens) else ""
                if nxt == "<":  # TOKEN <A | B>: the token introduces a required choice
                    pos += 1
                    group = alternatives(">")
                    if group is not None:
                        group.token = t
                        items.append(group)
                elif nxt and nxt not in specials and not _is_token(nxt):
                    pos += 1
                    items.append(_Arg(nxt, _arg_type(nxt), token=t))
                else:
                    items.append(_Arg(t.lower(), "pure-token", token=t))
            else:
                items.append(_Arg(t, _arg_type(t)))
        return items

    def alternatives(close: str | None) -> _Arg | None:
        nonlocal pos
        start = pos
        alts = [sequence()]
        while pos < len(tokens) and tokens[pos] == "|":
            pos += 1
            alts.append(sequence())
        end = pos
        if close is not None:
            if pos >= len(tokens) or tokens[pos] != close:
                raise ValueError(f"unbalanced brackets in syntax {syntax!r}")
            pos += 1
        elif pos != len(tokens):
            raise ValueError(f"unbalanced brackets in syntax {syntax!r}")
        # "[key ...]" and "[key value ...]" repeat what precedes them: recognised by the trailing "...".
        if len(alts) == 1 and end > start and tokens[end - 1] == "...":
            return _Arg("__repeat__", "block", args=alts[0])
        if len(alts) == 1 and close is None:
            return _Arg("__sequence__", "block", args=alts[0])
        members = [a[0] if len(a) == 1 else _Arg("_".join(x.name for x in a), "block", args=a) for a in alts]
        if len(members) == 1:
            return members[0]
        return _Arg("_".join(m.name for m in members), "oneof", args=members)

    top = alternatives(None)
    if top is None:
        return []
    return top.args if top.name == "__sequence__" else [top]


def _repeat_of(items: list[_Arg], group: _Arg) -> bool:
    """``key [key ...]``: mark the repeated tail of ``items`` as multiple instead of adding a group."""
    if group.name != "__repeat__":
        return False
    rep = group.args
    n = len(rep)
    if n == 1 and items and items[-1].token and not rep[0].token and items[-1].name == rep[0].name:
        # "ID client-id [client-id ...]": one token followed by several values.
        prev = items.pop()
        value = _Arg(prev.name, prev.type)
        value.flags.append("multiple")
        block = _Arg(prev.token.lower(), "block", token=prev.token, args=[value])
        block.flags = prev.flags
        items.append(block)
        return True
    if n == 0 or len(items) < n or not all(a.same_as(b) for a, b in zip(items[-n:], rep, strict=True)):
        # "[key ...]" alone: an optional repeated argument.
        if n == 1:
            rep[0].flags += ["optional", "multiple"]
            items.append(rep[0])
            return True
        return False
    if n == 1:
        target = items[-1]
    else:
        target = _Arg("_".join(a.name for a in rep), "block", args=items[-n:])
        del items[-n:]
        items.append(target)
    if "multiple" not in target.flags:
        target.flags.append("multiple")
        if target.token is not None and rep[0].token is not None:
            target.flags.append("multiple_token")
    return True


def _render_args(args: list[_Arg], key_index: list[int]) -> list[Map]:
    out = []
    for a in args:
        pairs: list[tuple[Any, Any]] = [(b"name", a.name.encode()), (b"type", a.type.encode())]
        if a.type == "key":
            pairs.append((b"key_spec_index", key_index[0]))  # one derived key spec per command
        if a.token is not None:
            pairs.append((b"token", a.token.encode()))
        if a.flags:
            pairs.append((b"flags", SetReply(Status(f) for f in a.flags)))
        if a.args:
            pairs.append((b"arguments", _render_args(a.args, key_index)))
        out.append(Map(pairs))
    return out


def command_docs(spec: CommandSpec) -> Map:
    pairs: list[tuple[Any, Any]] = [
        (b"summary", spec.summary.encode()),
        (b"since", spec.since.encode()),
        (b"group", spec.group.encode()),
        (b"complexity", spec.complexity.encode()),
    ]
    if spec.doc_flags:
        pairs.append((b"doc_flags", SetReply(Status(f) for f in spec.doc_flags)))
    if spec.deprecated_since:
        pairs.append((b"deprecated_since", spec.deprecated_since.encode()))
    if spec.replaced_by:
        pairs.append((b"replaced_by", spec.replaced_by.encode()))
    if spec.history:
        pairs.append((b"history", SetReply([v.encode(), t.encode()] for v, t in spec.history)))
    if spec.syntax:
        try:
            args = parse_syntax(spec.syntax)
        except ValueError:
            args = []
        if args:
            pairs.append((b"arguments", _render_args(args, [0])))
    if spec.subcommands:
        pairs.append((b"subcommands", Map([(s.fullname.encode(), command_docs(s)) for s in spec.subcommands.values()])))
    return Map(pairs)


# -- the commands ----------------------------------------------------------------------------------------


def _top_level(c: Any) -> list[CommandSpec]:
    return list(c.server.table.specs.values())


@command(
    "command|count",
    2,
    flags="loading stale",
    group="connection",
    since="2.8.13",
    summary="Return how many commands the server has.",
    complexity="O(1)",
)
def command_count(c: Any, argv: list[bytes]) -> int:
    return len(c.server.table.specs)


@command(
    "command|info",
    -2,
    flags="loading stale",
    group="connection",
    since="2.8.13",
    summary="Describe the named commands (all commands without names).",
    complexity="O(N) where N is the number of commands to look up",
    syntax="[command-name [command-name ...]]",
    tips="nondeterministic_output_order",
)
def command_info_cmd(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return [command_info(s) for s in _top_level(c)]
    out: list[Any] = []
    for name in argv[2:]:
        spec = _lookup_full(c, name)
        out.append(command_info(spec) if spec is not None else None)
    return out


def _lookup_full(c: Any, name: bytes) -> CommandSpec | None:
    table = c.server.table
    if b"|" in name:
        parent, sub = name.lower().split(b"|", 1)
        spec = table.lookup(parent)
        return spec.subcommands.get(sub) if spec is not None and spec.subcommands else None
    return table.lookup(name)


@command(
    "command|docs",
    -2,
    flags="loading stale",
    group="connection",
    since="7.0.0",
    summary="Return the documentation of the named commands (all without names).",
    complexity="O(N) where N is the number of commands to look up",
    syntax="[command-name [command-name ...]]",
    tips="nondeterministic_output_order",
)
def command_docs_cmd(c: Any, argv: list[bytes]) -> Any:
    specs = _top_level(c) if len(argv) == 2 else [s for s in (_lookup_full(c, n) for n in argv[2:]) if s is not None]
    return Map([(s.fullname.encode(), command_docs(s)) for s in specs])


@command(
    "command|list",
    -2,
    flags="loading stale",
    group="connection",
    since="7.0.0",
    summary="Return the names of the commands, optionally filtered.",
    complexity="O(N) where N is the total number of Redis commands",
    syntax="[FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]",
    tips="nondeterministic_output_order",
)
def command_list(c: Any, argv: list[bytes]) -> Any:
    names: list[tuple[str, CommandSpec]] = []
    for spec in _top_level(c):
        names.append((spec.fullname, spec))
        if spec.subcommands:
            names.extend((s.fullname, s) for s in spec.subcommands.values())
    if len(argv) == 2:
        return [n.encode() for n, s in names]
    if len(argv) != 5 or argv[2].upper() != b"FILTERBY":
        raise errors.SYNTAX
    kind, value = argv[3].upper(), argv[4].decode("utf-8", "surrogateescape")
    if kind == b"MODULE":
        return []
    if kind == b"ACLCAT":
        cat = "@" + value.lower()
        return [n.encode() for n, s in names if cat in _container_acl(s)]
    if kind == b"PATTERN":
        return [n.encode() for n, s in names if fnmatch.fnmatchcase(n, value.lower())]
    raise errors.SYNTAX


def _ks_flags(ks: dict) -> list[str]:
    flags = ks["flags"]
    return flags.split() if isinstance(flags, str) else flags


def _keys_by_specs(specs: list[dict], args: list[bytes]) -> list[tuple[int, list[str]]] | None:
    """Redis's getKeysUsingKeySpecs: (position, flags) of each key the specs find, in spec order; None when a
    spec cannot say (unknown type, incomplete, keys out of range), so the command's own key finder decides."""
    argc = len(args)
    found: list[tuple[int, list[str]]] = []
    for ks in specs:
        flags = _ks_flags(ks)
        if "not_key" in flags:
            continue
        bs, fk = ks["begin_search"], ks["find_keys"]
        if bs["type"] == "index":
            first = bs["spec"]["index"]
        elif bs["type"] == "keyword":
            keyword = bs["spec"]["keyword"].encode().lower()
            startfrom = bs["spec"]["startfrom"]
            start, end = (startfrom, argc - 1) if startfrom > 0 else (argc + startfrom, 1)
            first = 0
            for i in range(start, end, 1 if start <= end else -1):
                if i >= argc or i < 1:
                    break
                if args[i].lower() == keyword:
                    first = i + 1
                    break
            if not first:
                continue  # an absent optional keyword (STORE) means no keys, not an invalid spec
        else:
            return None
        if fk["type"] == "range":
            step, lastkey, limit = fk["spec"]["keystep"], fk["spec"]["lastkey"], fk["spec"]["limit"]
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + (int((argc - first) / limit) + lastkey)  # C division truncates toward zero
        elif fk["type"] == "keynum":
            step = fk["spec"]["keystep"]
            numkeys_at = first + fk["spec"]["keynumidx"]
            numkeys = parse_ll(args[numkeys_at]) if numkeys_at < argc else None
            if numkeys is None or numkeys < 0:
                return None
            first += fk["spec"]["firstkey"]
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        found.extend((i, flags) for i in range(first, last + 1, step))
        if "incomplete" in flags:
            return None
    return found


def _set_key_flags(args: list[bytes], pos: int) -> list[str]:
    # setGetKeys: GET makes SET read the old value too.
    return ["RW", "access", "update"] if any(a.lower() == b"get" for a in args[3:]) else ["OW", "update"]


def _bitfield_key_flags(args: list[bytes], pos: int) -> list[str]:
    # bitfieldGetKeys: read-only while every subcommand is a complete GET or OVERFLOW.
    i, argc = 2, len(args)
    while i < argc:
        op, remaining = args[i].lower(), argc - i - 1
        if op == b"get" and remaining >= 2:
            i += 3
        elif op == b"overflow" and remaining >= 1:
            i += 2
        else:
            return ["RW", "access", "update"]
    return ["RO", "access"]


def _sort_key_flags(args: list[bytes], pos: int) -> list[str]:
    # sortGetKeys: the sorted key is read, the STORE key overwritten.
    return ["RO", "access"] if pos == 1 else ["OW", "update"]


# Commands whose key flags depend on their arguments (VARIABLE_FLAGS) or that Redis's key specs cannot
# describe: Redis's getkeys procs flag their keys themselves.
_GETKEYS_FLAGS = {"set": _set_key_flags, "bitfield": _bitfield_key_flags, "sort": _sort_key_flags}


def _keys_with_flags(spec: CommandSpec, args: list[bytes]) -> list[tuple[int, list[str]]]:
    """Redis's getKeysFromCommandWithSpecs: the key specs when they are reliable, else the command's key finder."""
    specs = _spec_list(spec)
    flagsets = [_ks_flags(ks) for ks in specs]
    if any("not_key" not in f for f in flagsets) and not any("variable_flags" in f for f in flagsets):
        found = _keys_by_specs(specs, args)
        if found is not None:
            return found
    flagger = _GETKEYS_FLAGS.get(spec.fullname)
    default = ["RW", "update"] if spec.is_write else ["RO", "access"]
    return [(i, flagger(args, i) if flagger is not None else default) for i in spec.key_positions(args)]


def _getkeys(c: Any, argv: list[bytes]) -> list[tuple[int, list[str]]]:
    args = argv[2:]
    spec = c.server.table.lookup_sub(args) if args else None
    if spec is None:
        raise CommandError("Invalid command specified")
    if spec.subcommands is not None and len(args) > 1:
        spec = spec.subcommands.get(args[1].lower()) or spec
    if spec.getkeys is None and all("not_key" in _ks_flags(ks) for ks in _spec_list(spec)):
        raise CommandError("The command has no key arguments")
    if not spec.arity_ok(len(args)):
        raise CommandError("Invalid number of arguments specified for command")
    keys = _keys_with_flags(spec, args)
    if not keys and "no_mandatory_keys" not in spec.flags:
        raise CommandError("Invalid arguments specified for command")
    return keys


@command(
    "command|getkeys",
    -4,
    flags="loading stale",
    group="connection",
    since="2.8.13",
    summary="Extract the key names from a full command.",
    complexity="O(N) where N is the number of arguments to the command",
    syntax="command arg [arg ...]",
)
def command_getkeys(c: Any, argv: list[bytes]) -> Any:
    return [argv[2 + i] for i, _ in _getkeys(c, argv)]


@command(
    "command|getkeysandflags",
    -4,
    flags="loading stale",
    group="connection",
    since="7.0.0",
    summary="Extract the key names and their access flags from a full command.",
    complexity="O(N) where N is the number of arguments to the command",
    syntax="command arg [arg ...]",
)
def command_getkeysandflags(c: Any, argv: list[bytes]) -> Any:
    return [[argv[2 + i], SetReply(Status(f) for f in flags)] for i, flags in _getkeys(c, argv)]


COMMAND_HELP = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
]


@command(
    "command|help",
    2,
    flags="loading stale",
    group="connection",
    since="5.0.0",
    summary="Describe the COMMAND subcommands.",
    complexity="O(1)",
)
def command_help(c: Any, argv: list[bytes]) -> Any:
    return list(COMMAND_HELP)


def _command_handler(c: Any, argv: list[bytes]) -> Any:
    """COMMAND alone lists every command; with a subcommand it dispatches like any container."""
    if len(argv) == 1:
        return [command_info(s) for s in _top_level(c)]
    sub = COMMAND.subcommands.get(argv[1].lower()) if COMMAND.subcommands else None
    if sub is None:
        raise errors.unknown_subcommand(argv[1], "command")
    if not sub.arity_ok(len(argv)):
        raise errors.wrong_arity(sub.fullname)
    return sub.handler(c, argv)


COMMAND.arity = -1
COMMAND.handler = _command_handler
