"""Number parsing and printing with Redis's exact rules (``string2ll``, ``string2ld``, ``%.17g``).

Python's ``int()`` and ``float()`` accept more than Redis does (``+5``, `` 5``, ``1_000``, ``0x10``,
``infinity`` spellings, ...), so every number that comes from a client goes through here. Pure functions,
no imports of ours: usable from protocol, types and commands alike.
"""

from __future__ import annotations

import math

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)
INT_MAX = (1 << 31) - 1


def parse_ll(s: bytes) -> int | None:
    """Redis's ``string2ll``: optional '-', digits, no leading zeros, no '+', fits in int64."""
    n = len(s)
    if n == 0 or n > 20:
        return None
    if s.isdigit():
        if s[0] == 48 and n > 1:
            return None
        v = int(s)
        return v if v <= LLONG_MAX else None
    if s[0] == 45 and n > 1:
        body = s[1:]
        if not body.isdigit() or body[0] == 48:
            return None
        v = -int(body)
        return v if v >= LLONG_MIN else None
    return None


_FLOAT_CHARS = b"0123456789.eE+-"
_SPACE = b" \t\n\r\x0b\x0c"


def parse_double(s: bytes) -> float | None:
    """Redis's ``getDoubleFromObject``: ``strtod`` must consume the whole string.

    Rejected as Redis rejects them: empty, leading space, trailing garbage, NaN, and results that
    overflow to infinity or underflow to zero (strtod's ERANGE). ``inf``/``infinity`` are accepted.
    """
    if not s or s[0] in _SPACE:
        return None
    body = s[1:] if s[0] in b"+-" else s
    low = body.lower()
    if low in (b"inf", b"infinity"):
        return -math.inf if s[0] == 45 else math.inf
    if low.startswith(b"0x"):
        try:
            v = float.fromhex(s.decode("ascii"))
        except (ValueError, UnicodeDecodeError, OverflowError):
            return None
        return v
    if not body or body.translate(None, _FLOAT_CHARS):
        return None
    try:
        v = float(s)
    except ValueError:
        return None
    if v in (math.inf, -math.inf):
        return None  # overflow: ERANGE with HUGE_VAL
    if v == 0.0:
        mantissa = low.split(b"e", 1)[0]
        if mantissa.translate(None, b"0.+-"):
            return None  # underflow to zero: ERANGE
    return v


def format_double(d: float) -> bytes:
    """A double in replies as Redis 7.0 prints it: ``%.17g``; ``inf``, ``-inf``."""
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


def format_ll(v: int) -> bytes:
    return b"%d" % v
