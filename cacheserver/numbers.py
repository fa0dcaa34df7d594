"""Number parsing and printing with Redis's exact rules (``string2ll``, ``string2ld``, ``%.17g``).

Python's ``int()`` and ``float()`` accept more than Redis does (``+5``, `` 5``, ``1_000``, ``0x10``,
``infinity`` spellings, ...), so every number that comes from a client goes through here. Pure functions,
no imports of ours: usable from protocol, types and commands alike.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

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
    """A double as Redis 7.0 prints it in replies: ``%.17g``, with inf/-inf/nan spelled out."""
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    if d != d:
        return b"nan"
    return b"%.17g" % d



# -- long double (x87 80-bit: 64-bit mantissa) for INCRBYFLOAT ------------------------------------------
#
# Redis does INCRBYFLOAT in ``long double``: strtold on both operands, one addition, then "%.17Lf" with the
# trailing zeros cut. Python floats have 53 bits, so the values are kept exact (Fraction) and rounded to
# 64 bits wherever the C code rounds (after parsing, after the addition).

_LD_MANT_BITS = 64
_LD_MIN_EXP = -16382  # exponent of the smallest normal number (2**-16382)
_LD_OVERFLOW = 1 << 16384  # anything that rounds to this or beyond is infinity
_LD_MAX_CHARS = 5 * 1024  # MAX_LONG_DOUBLE_CHARS: longer strings are refused before parsing
_LD_INF = float("inf")

_LD_SYNTAX = re.compile(
    rb"([+-]?)(?:(inf(?:inity)?)|(nan(?:\([0-9a-z_]*\))?)"
    rb"|0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?[0-9]+))?"
    rb"|([0-9]*)(?:\.([0-9]*))?(?:e([+-]?[0-9]+))?)",
    re.IGNORECASE,
)


_CHUNK = 4000  # digits per int<->text conversion: Python refuses more than 4300 at once


def _digits_to_int(digits: bytes) -> int:
    v = 0
    for i in range(0, len(digits), _CHUNK):
        part = digits[i : i + _CHUNK]
        v = v * 10 ** len(part) + int(part)
    return v


def _int_to_digits(v: int) -> bytes:
    if v < 10**_CHUNK:
        return b"%d" % v
    parts = []
    base = 10**_CHUNK
    while v >= base:
        v, low = divmod(v, base)
        parts.append(b"%0*d" % (_CHUNK, low))
    parts.append(b"%d" % v)
    return b"".join(reversed(parts))


def round_long_double(x: Fraction) -> Fraction | None:
    """``x`` rounded to the nearest long double (ties to even); None if that is infinite."""
    if not x:
        return x
    n, d = abs(x.numerator), x.denominator
    e = n.bit_length() - d.bit_length()
    if (n << -e if e < 0 else n) < (d << e if e > 0 else d):
        e -= 1  # now 2**e <= |x| < 2**(e+1)
    q = max(e, _LD_MIN_EXP) - (_LD_MANT_BITS - 1)  # weight of the last mantissa bit (subnormals: fixed)
    if q <= 0:
        m, r = divmod(n << -q, d)
    else:
        m, r = divmod(n, d << q)
        d <<= q
    if 2 * r > d or (2 * r == d and m & 1):
        m += 1
    v = Fraction(m << q) if q >= 0 else Fraction(m, 1 << -q)
    if v >= _LD_OVERFLOW:
        return None
    return -v if x < 0 else v


def parse_long_double(s: bytes | bytearray) -> Fraction | float | None:
    """Redis's ``string2ld``: strtold must consume the whole string; NaN, overflow and underflow to zero
    are refused. Returns the exact value of the long double (a Fraction), ``±inf`` for the spellings of
    infinity (accepted here: the sum is refused later), or None if the text is not a valid float."""
    if not s or len(s) >= _LD_MAX_CHARS:
        return None
    if s[0] in _SPACE:
        return None
    m = _LD_SYNTAX.fullmatch(s)
    if m is None:
        return None
    sign, inf, nan, hex_int, hex_frac, hex_exp, dec_int, dec_frac, dec_exp = m.groups()
    negative = sign == b"-"
    if inf is not None:
        return -_LD_INF if negative else _LD_INF
    if nan is not None:
        return None
    if hex_int is not None:
        frac = hex_frac or b""
        if not hex_int and not frac:
            return None
        mant = int(hex_int + frac, 16)
        exp2 = int(hex_exp or b"0") - 4 * len(frac)
        exp10 = None
    else:
        frac = dec_frac or b""
        if not dec_int and not frac:
            return None
        mant = _digits_to_int(dec_int + frac)
        exp10 = int(dec_exp or b"0") - len(frac)
        exp2 = 0
    if mant == 0:
        return Fraction(0)
    if exp10 is not None:
        magnitude = exp10 + len((dec_int + frac).lstrip(b"0")) - 1  # value in [10**magnitude, 10**(magnitude+1))
        if magnitude > 4933:
            return None  # ERANGE, HUGE_VAL
        if magnitude < -4952:
            return None  # ERANGE, rounds to zero
        x = Fraction(mant * 10**exp10) if exp10 >= 0 else Fraction(mant, 10**-exp10)
    else:
        magnitude = exp2 + mant.bit_length() - 1
        if magnitude > 16384:
            return None
        if magnitude < -16447:
            return None
        x = Fraction(mant << exp2) if exp2 >= 0 else Fraction(mant, 1 << -exp2)
    v = round_long_double(-x if negative else x)
    if not v:
        return None  # None: overflow to infinity; 0: underflow to zero (both ERANGE in strtold)
    return v


def format_long_double_human(x: Fraction) -> bytes:
    """``ld2string(..., LD_STR_HUMAN)``: "%.17Lf" of the exact value (ties to even), trailing zeros and a
    trailing dot removed, "-0" printed as "0"."""
    n, d = abs(x.numerator), x.denominator
    q, r = divmod(n * 10**17, d)
    if 2 * r > d or (2 * r == d and q & 1):
        q += 1
    digits = _int_to_digits(q).rjust(18, b"0")
    int_part = digits[:-17]
    frac = digits[-17:].rstrip(b"0")
    out = int_part + b"." + frac if frac else int_part
    if x < 0 and out != b"0":
        out = b"-" + out
    return out
