"""Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
PUBLISH, SPUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP.

Rules: the (un)subscribe commands answer with one confirmation frame per argument (a RESP2 array or a
RESP3 push), each carrying the count after that step, pre-encoded into one ``Raw`` reply; an
unsubscribe from nothing still answers once, with a null channel and count 0. The count of channels
and patterns is shared; shard channels count apart. Whenever a command may move a client between
"subscribed" and "not subscribed" it refreshes ``client.update_gate()`` (the RESP2 subscribed context
is enforced by the dispatcher's gate). The hub (``server.pubsub``) holds the registry and delivers.
"""

from __future__ import annotations

from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.errors import CommandError
from cacheserver.protocol.replies import Raw
from cacheserver.pubsub.glob import compile_glob

_HEAD = {2: b"*3\r\n", 3: b">3\r\n"}
_NULL = {2: b"$-1\r\n", 3: b"_\r\n"}

_KIND_SUBSCRIBE = b"$9\r\nsubscribe\r\n"
_KIND_UNSUBSCRIBE = b"$11\r\nunsubscribe\r\n"
_KIND_PSUBSCRIBE = b"$10\r\npsubscribe\r\n"
_KIND_PUNSUBSCRIBE = b"$12\r\npunsubscribe\r\n"
_KIND_SSUBSCRIBE = b"$10\r\nssubscribe\r\n"
_KIND_SUNSUBSCRIBE = b"$12\r\nsunsubscribe\r\n"

_SSUBSCRIBE_DENIED = CommandError("SSUBSCRIBE isn't allowed for a DENY BLOCKING client")


def _frame(out: bytearray, head: bytes, kind: bytes, name: bytes, count: int) -> None:
    out += head
    out += kind
    out += b"$%d\r\n%b\r\n:%d\r\n" % (len(name), name, count)


def _nothing(c: Any, kind: bytes) -> Raw:
    """The single confirmation of an unsubscribe-all from nothing: null channel, count 0."""
    return Raw(_HEAD[c.resp] + kind + _NULL[c.resp] + b":0\r\n")


def _count(c: Any) -> int:
    return len(c.channels) + len(c.patterns)


def _shard_count(c: Any) -> int:
    return len(c.shard_channels)


def _confirm(c: Any, names: list[bytes], step: Any, kind: bytes, count: Any) -> Raw:
    """Apply ``step(c, name)`` to each name, one confirmation frame (with the count after it) each."""
    if not names:
        return _nothing(c, kind)
    head = _HEAD[c.resp]
    out = bytearray()
    for name in names:
        step(c, name)
        _frame(out, head, kind, name, count(c))
    c.update_gate()
    return Raw(out)


# -- subscribing ---------------------------------------------------------------------------------------


@command(
    "subscribe",
    -2,
    flags="pubsub noscript loading stale",
    group="pubsub",
    since="2.0.0",
    summary="Receive the messages published to the given channels.",
    complexity="O(N) where N is the number of channels to subscribe to.",
    syntax="channel [channel ...]",
)
def subscribe(c: Any, argv: list[bytes]) -> Raw:
    return _confirm(c, argv[1:], c.server.pubsub.subscribe, _KIND_SUBSCRIBE, _count)


@command(
    "unsubscribe",
    -1,
    flags="pubsub noscript loading stale",
    group="pubsub",
    since="2.0.0",
    summary="Stop receiving the messages of the given channels, or of all channels.",
    complexity="O(N) where N is the number of clients already subscribed to a channel.",
    syntax="[channel [channel ...]]",
)
def unsubscribe(c: Any, argv: list[bytes]) -> Raw:
    return _confirm(c, argv[1:] or list(c.channels), c.server.pubsub.unsubscribe, _KIND_UNSUBSCRIBE, _count)


@command(
    "psubscribe",
    -2,
    flags="pubsub noscript loading stale",
    group="pubsub",
    since="2.0.0",
    summary="Receive the messages published to every channel matching the given glob patterns.",
    complexity="O(N) where N is the number of patterns the client is already subscribed to.",
    syntax="pattern [pattern ...]",
)
def psubscribe(c: Any, argv: list[bytes]) -> Raw:
    return _confirm(c, argv[1:], c.server.pubsub.psubscribe, _KIND_PSUBSCRIBE, _count)


@command(
    "punsubscribe",
    -1,
    flags="pubsub noscript loading stale",
    group="pubsub",
    since="2.0.0",
    summary="Stop receiving the messages of the given patterns, or of all patterns.",
    complexity="O(N+M) where N is the number of patterns the client is already subscribed and M is the "
    "number of total patterns subscribed in the system (by any client).",
    syntax="[pattern [pattern ...]]",
)
def punsubscribe(c: Any, argv: list[bytes]) -> Raw:
    return _confirm(c, argv[1:] or list(c.patterns), c.server.pubsub.punsubscribe, _KIND_PUNSUBSCRIBE, _count)


_SHARD_KEYS = [
    {
        "flags": ["not_key"],
        "begin_search": {"type": "index", "spec": {"index": 1}},
        "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 1, "limit": 0}},
    }
]


@command(
    "ssubscribe",
    -2,
    flags="pubsub noscript loading stale",
    keys=(1, -1, 1),
    key_specs=_SHARD_KEYS,
    group="pubsub",
    since="7.0.0",
    summary="Receive the messages published to the given shard channels.",
    complexity="O(N) where N is the number of shard channels to subscribe to.",
    syntax="shardchannel [shardchannel ...]",
)
def ssubscribe(c: Any, argv: list[bytes]) -> Any:
    if not c.server.blocking.may_block(c):
        # Redis denies it to clients that expect one reply per command (inside EXEC, scripts).
        raise _SSUBSCRIBE_DENIED
    return _confirm(c, argv[1:], c.server.pubsub.ssubscribe, _KIND_SSUBSCRIBE, _shard_count)


@command(
    "sunsubscribe",
    -1,
    flags="pubsub noscript loading stale",
    keys=(1, -1, 1),
    key_specs=_SHARD_KEYS,
    group="pubsub",
    since="7.0.0",
    summary="Stop receiving the messages of the given shard channels, or of all of them.",
    complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
    syntax="[shardchannel [shardchannel ...]]",
)
def sunsubscribe(c: Any, argv: list[bytes]) -> Raw:
    hub = c.server.pubsub
    return _confirm(c, argv[1:] or list(c.shard_channels), hub.sunsubscribe, _KIND_SUNSUBSCRIBE, _shard_count)


# -- publishing ----------------------------------------------------------------------------------------


@command(
    "publish",
    3,
    flags="pubsub loading stale fast may_replicate",
    group="pubsub",
    since="2.0.0",
    summary="Send a message to a channel; returns how many subscribers received it.",
    complexity="O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
    "total number of subscribed patterns (by any client).",
    syntax="channel message",
)
def publish(c: Any, argv: list[bytes]) -> int:
    return c.server.pubsub.publish(argv[1], argv[2])


@command(
    "spublish",
    3,
    flags="pubsub loading stale fast may_replicate",
    keys=(1, 1, 1),
    key_specs=[
        {
            "flags": ["not_key"],
            "begin_search": {"type": "index", "spec": {"index": 1}},
            "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
        }
    ],
    group="pubsub",
    since="7.0.0",
    summary="Send a message to a shard channel; returns how many subscribers received it.",
    complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
    syntax="shardchannel message",
)
def spublish(c: Any, argv: list[bytes]) -> int:
    return c.server.pubsub.spublish(argv[1], argv[2])


# -- PUBSUB introspection ------------------------------------------------------------------------------

PUBSUB = container(
    "pubsub",
    group="pubsub",
    since="2.8.0",
    summary="A container for pub/sub introspection commands.",
    complexity="Depends on subcommand.",
)
PUBSUB.acl = ("@slow",)  # Redis's container declares no category of its own, not the group's @pubsub


def _channel_list(argv: list[bytes], registry: dict) -> list[bytes]:
    if len(argv) > 3:
        raise CommandError(
            f"unknown subcommand or wrong number of arguments for '{errors.arg_text(argv[1])}'. Try PUBSUB HELP."
        )
    if len(argv) == 2:
        return list(registry)
    match = compile_glob(argv[2])
    return [channel for channel in registry if match(channel)]


def _numsub(argv: list[bytes], registry: dict) -> list:
    out: list = []
    for channel in argv[2:]:
        subs = registry.get(channel)
        out.append(channel)
        out.append(len(subs) if subs else 0)
    return out


@command(
    "pubsub|channels",
    -2,
    flags="pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    summary="List the channels that have at least one subscriber, optionally those matching a pattern.",
    complexity="O(N) where N is the number of active channels, and assuming constant time pattern matching "
    "(relatively short channels and patterns)",
    syntax="[pattern]",
)
def pubsub_channels(c: Any, argv: list[bytes]) -> list[bytes]:
    return _channel_list(argv, c.server.pubsub.channels)


@command(
    "pubsub|numsub",
    -2,
    flags="pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    summary="Count the subscribers of each given channel (pattern subscriptions excluded).",
    complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels",
    syntax="[channel [channel ...]]",
)
def pubsub_numsub(c: Any, argv: list[bytes]) -> list:
    return _numsub(argv, c.server.pubsub.channels)


@command(
    "pubsub|numpat",
    2,
    flags="pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    summary="Count the distinct patterns that have at least one subscriber.",
    complexity="O(1)",
)
def pubsub_numpat(c: Any, argv: list[bytes]) -> int:
    return len(c.server.pubsub.patterns)


@command(
    "pubsub|shardchannels",
    -2,
    flags="pubsub loading stale",
    group="pubsub",
    since="7.0.0",
    summary="List the shard channels that have at least one subscriber, optionally those matching a pattern.",
    complexity="O(N) where N is the number of active shard channels, and assuming constant time pattern "
    "matching (relatively short shard channels).",
    syntax="[pattern]",
)
def pubsub_shardchannels(c: Any, argv: list[bytes]) -> list[bytes]:
    return _channel_list(argv, c.server.pubsub.shard_channels)


@command(
    "pubsub|shardnumsub",
    -2,
    flags="pubsub loading stale",
    group="pubsub",
    since="7.0.0",
    summary="Count the subscribers of each given shard channel.",
    complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
    syntax="[shardchannel [shardchannel ...]]",
)
def pubsub_shardnumsub(c: Any, argv: list[bytes]) -> list:
    return _numsub(argv, c.server.pubsub.shard_channels)


HELP_LINES = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@command(
    "pubsub|help",
    2,
    flags="loading stale",
    group="pubsub",
    since="6.2.0",
    summary="Describe the PUBSUB subcommands.",
    complexity="O(1)",
)
def pubsub_help(c: Any, argv: list[bytes]) -> list[str]:
    return list(HELP_LINES)


# Unlike the other PUBSUB subcommands, Redis gives HELP no @pubsub category.
pubsub_help.specs[0].acl = ("@slow",)  # type: ignore[attr-defined]
