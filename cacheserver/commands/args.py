"""Argument parsing helpers that raise Redis's exact errors.

``int_arg``/``float_arg`` convert one argument; ``Args`` is a cursor over the optional part of a
command line (``SET k v EX 10 NX``), so handlers read options in order and fail with Redis's text.
"""

from __future__ import annotations

from collections.abc import Callable

from cacheserver import errors
from cacheserver.errors import CommandError
from cacheserver.numbers import parse_double, parse_ll


def int_arg(arg: bytes, error: CommandError = errors.NOT_INTEGER) -> int:
    v = parse_ll(arg)
    if v is None:
        raise error
    return v


def numkeys_positions(numkeys_at: int, extra: tuple[int, ...] = ()) -> Callable[[list[bytes]], list[int]]:
    """COMMAND GETKEYS for ``numkeys key [key ...]`` commands: the keys counted by ``argv[numkeys_at]``,
    after the fixed key positions ``extra`` (all there is when numkeys is not a positive integer)."""

    def positions(argv: list[bytes]) -> list[int]:
        n = parse_ll(argv[numkeys_at]) if len(argv) > numkeys_at else None
        if n is None or n <= 0:
            return list(extra)
        return [*extra, *range(numkeys_at + 1, min(numkeys_at + 1 + n, len(argv)))]

    return positions


def float_arg(arg: bytes, error: CommandError = errors.NOT_FLOAT) -> float:
    v = parse_double(arg)
    if v is None:
        raise error
    return v


def nonneg_int_arg(arg: bytes, error: CommandError = errors.MUST_BE_POSITIVE) -> int:
    v = parse_ll(arg)
    if v is None:
        raise errors.NOT_INTEGER
    if v < 0:
        raise error
    return v


class Args:
    """A cursor over ``argv[start:]``."""

    __slots__ = ("argv", "pos")

    def __init__(self, argv: list[bytes], start: int) -> None:
        self.argv = argv
        self.pos = start

    def __bool__(self) -> bool:
        return self.pos < len(self.argv)

    @property
    def remaining(self) -> int:
        return len(self.argv) - self.pos

    def next(self) -> bytes:
        """The next argument; a syntax error if there is none."""
        if self.pos >= len(self.argv):
            raise errors.SYNTAX
        a = self.argv[self.pos]
        self.pos += 1
        return a

    def next_upper(self) -> bytes:
        return self.next().upper()

    def peek_upper(self) -> bytes | None:
        return self.argv[self.pos].upper() if self.pos < len(self.argv) else None

    def next_int(self, error: CommandError = errors.NOT_INTEGER) -> int:
        return int_arg(self.next(), error)

    def next_float(self, error: CommandError = errors.NOT_FLOAT) -> float:
        return float_arg(self.next(), error)
