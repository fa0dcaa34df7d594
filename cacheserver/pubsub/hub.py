"""The pub/sub hub: who listens to which channel, pattern and shard channel; fan-out of messages;
the ``client-output-buffer-limit pubsub`` guard against subscribers that stop reading.

Layout (as Redis's pubsub.c): ``channels`` and ``shard_channels`` map a channel to its subscribers,
``patterns`` maps a pattern to its compiled matcher and subscribers. A subscriber set is a dict
``client -> transport`` (insertion-ordered, O(1) removal; the transport is what the output guard
measures). Each client also keeps its own subscriptions (``c.channels``, ``c.patterns``,
``c.shard_channels``) so its count and unsubscribe-all need no search.

Rules:
- PUBLISH costs one dict lookup for the channel plus one match per distinct pattern, never anything
  per unrelated subscriber; a message frame is encoded once per publish (RESP2 and RESP3 variants) and
  handed to each subscriber's ``send`` (one transport write; a subscriber that is the client running
  the current command gets it appended to its pending replies, so it lands before the reply, as in Redis).
- Patterns are compiled once, when first subscribed (``glob.compile_glob``, Redis's stringmatchlen).
- A subscriber whose unsent output exceeds the pubsub class's hard limit, or stays above the soft limit
  for longer than the soft seconds, is logged and its connection aborted (pending output discarded), as
  Redis's "scheduled to be closed ASAP". The publisher and other subscribers never wait on it. The client
  state is cleaned up when the transport reports the loss (next loop turn), never during a fan-out.
- This module knows no RESP parsing and no commands; ``commands/pubsub.py`` builds the replies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cacheserver.pubsub.glob import Matcher, compile_glob

log = logging.getLogger("cacheserver")

Subscribers = dict  # client -> transport (or None when the client has no socket)

_MESSAGE = b"$7\r\nmessage\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
_SMESSAGE = b"$8\r\nsmessage\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
_PMESSAGE = b"$8\r\npmessage\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"

_NO_LIMIT = 1 << 62


class Hub:
    def __init__(self, server: Any, describe_client: Callable[[Any, int], str] | None = None) -> None:
        self.server = server
        self.channels: dict[bytes, Subscribers] = {}
        self.shard_channels: dict[bytes, Subscribers] = {}
        self.patterns: dict[bytes, tuple[Matcher, Subscribers]] = {}
        self.describe_client = describe_client or (lambda c, now_ms: f"id={c.id} addr={c.addr}")
        # client-output-buffer-limit pubsub: hard and soft bytes, soft seconds (0 = no limit).
        self.hard_limit = 0
        self.soft_limit = 0
        self.soft_seconds = 0
        self.check_above = _NO_LIMIT  # the smallest enabled limit: below it nothing is checked
        self.soft_since: dict[Any, int] = {}  # client -> ms when it went above the soft limit
        server.keyspace.publish = self.publish
        server.disconnect_hooks.append(self.unsubscribe_all)
        server.reset_hooks.append(self.unsubscribe_all)
        server.cron_hooks.append(self.check_soft_limits)
        server.config.watch("client-output-buffer-limit", self._set_limits)

    # -- INFO --------------------------------------------------------------------------------------

    def channel_count(self) -> int:
        return len(self.channels)

    def pattern_count(self) -> int:
        return len(self.patterns)

    def shard_channel_count(self) -> int:
        return len(self.shard_channels)

    # -- subscriptions -----------------------------------------------------------------------------

    def _transport(self, c: Any) -> Any:
        conn = self.server.connection_of(c)
        return conn.transport if conn is not None else None

    def subscribe(self, c: Any, channel: bytes) -> bool:
        """Add ``c`` to ``channel``; False if it was already subscribed."""
        if channel in c.channels:
            return False
        c.channels.add(channel)
        subs = self.channels.get(channel)
        if subs is None:
            subs = self.channels[channel] = {}
        subs[c] = self._transport(c)
        return True

    def unsubscribe(self, c: Any, channel: bytes) -> bool:
        if channel not in c.channels:
            return False
        c.channels.discard(channel)
        _drop(self.channels, channel, c)
        return True

    def ssubscribe(self, c: Any, channel: bytes) -> bool:
        if channel in c.shard_channels:
            return False
        c.shard_channels.add(channel)
        subs = self.shard_channels.get(channel)
        if subs is None:
            subs = self.shard_channels[channel] = {}
        subs[c] = self._transport(c)
        return True

    def sunsubscribe(self, c: Any, channel: bytes) -> bool:
        if channel not in c.shard_channels:
            return False
        c.shard_channels.discard(channel)
        _drop(self.shard_channels, channel, c)
        return True

    def psubscribe(self, c: Any, pattern: bytes) -> bool:
        if pattern in c.patterns:
            return False
        entry = self.patterns.get(pattern)
        if entry is None:
            entry = self.patterns[pattern] = (compile_glob(pattern), {})
        c.patterns[pattern] = entry[0]
        entry[1][c] = self._transport(c)
        return True

    def punsubscribe(self, c: Any, pattern: bytes) -> bool:
        if pattern not in c.patterns:
            return False
        del c.patterns[pattern]
        entry = self.patterns.get(pattern)
        if entry is not None:
            subs = entry[1]
            subs.pop(c, None)
            if not subs:
                del self.patterns[pattern]
        return True

    def unsubscribe_all(self, c: Any) -> None:
        """Drop every subscription of ``c`` without notifying it (disconnect, RESET)."""
        for channel in list(c.channels):
            self.unsubscribe(c, channel)
        for pattern in list(c.patterns):
            self.punsubscribe(c, pattern)
        for channel in list(c.shard_channels):
            self.sunsubscribe(c, channel)
        self.soft_since.pop(c, None)
        c.update_gate()

    # -- publishing ----------------------------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to the channel's subscribers and to every matching pattern's; returns receivers."""
        receivers = 0
        subs = self.channels.get(channel)
        if subs:
            body = _MESSAGE % (len(channel), channel, len(message), message)
            receivers = self._fan_out(subs, b"*3\r\n" + body, b">3\r\n" + body)
        if self.patterns:
            for pattern, (match, psubs) in self.patterns.items():
                if match(channel):
                    body = _PMESSAGE % (len(pattern), pattern, len(channel), channel, len(message), message)
                    receivers += self._fan_out(psubs, b"*4\r\n" + body, b">4\r\n" + body)
        return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        """Shard channels: exact subscribers only, patterns never match them."""
        subs = self.shard_channels.get(channel)
        if not subs:
            return 0
        body = _SMESSAGE % (len(channel), channel, len(message), message)
        return self._fan_out(subs, b"*3\r\n" + body, b">3\r\n" + body)

    def _fan_out(self, subs: Subscribers, frame2: bytes, frame3: bytes) -> int:
        check_above = self.check_above
        soft_since = self.soft_since
        over = None
        for c, transport in subs.items():
            c.send(frame3 if c.resp == 3 else frame2)
            if transport is not None and transport.get_write_buffer_size() > check_above:
                if over is None:
                    over = [c]
                else:
                    over.append(c)
            elif soft_since and c in soft_since:
                del soft_since[c]  # drained below the limits: the soft timer starts over
        if over is not None:
            for c in over:
                self.check_output(c, subs[c])
        return len(subs)

    # -- slow subscribers ----------------------------------------------------------------------------

    def _set_limits(self, classes: dict[str, tuple[int, int, int]]) -> None:
        hard, soft, seconds = classes.get("pubsub", (0, 0, 0))
        self.hard_limit, self.soft_limit, self.soft_seconds = hard, soft, seconds
        enabled = [v for v in (hard, soft) if v]
        # Strictly-greater test in the fan-out: a limit of N trips at N bytes, as Redis's ">=".
        self.check_above = min(enabled) - 1 if enabled else _NO_LIMIT
        if not soft:
            self.soft_since.clear()

    def check_output(self, c: Any, transport: Any) -> bool:
        """Apply the pubsub output limits to ``c`` (Redis's checkClientOutputBufferLimits); True when the
        client was scheduled to be closed."""
        if transport is None or transport.is_closing():
            self.soft_since.pop(c, None)
            return False
        used = transport.get_write_buffer_size()
        over = bool(self.hard_limit) and used >= self.hard_limit
        if not over and self.soft_limit and used >= self.soft_limit:
            now = self.server.clock.now_ms
            since = self.soft_since.setdefault(c, now)
            over = now - since > self.soft_seconds * 1000
        elif not over:
            self.soft_since.pop(c, None)
        if not over:
            return False
        self.soft_since.pop(c, None)
        log.warning(
            "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
            self.describe_client(c, self.server.clock.now_ms),
        )
        # abort() discards the pending output at once; the connection reports the loss on the next
        # loop turn, and the client's subscriptions are dropped then (never during a fan-out).
        transport.abort()
        return True

    def check_soft_limits(self) -> None:
        """Cron: a subscriber that stays above the soft limit is closed even if nothing more is
        published to it."""
        if not self.soft_since:
            return
        self.server.clock.refresh()
        for c in list(self.soft_since):
            self.check_output(c, self._transport(c))


def _drop(registry: dict[bytes, Subscribers], channel: bytes, c: Any) -> None:
    subs = registry.get(channel)
    if subs is not None:
        subs.pop(c, None)
        if not subs:
            # Free the entry with its last subscriber, so PUBSUB CHANNELS lists only live channels.
            del registry[channel]
