"""Redis's glob matcher (``stringmatchlen`` in util.c), compiled once per pattern and cached.

``compile_glob(pattern, nocase)`` returns a function ``match(string) -> bool`` with exactly
``stringmatchlen``'s answers, including its corners:

- ``*`` runs collapse; an empty string is matched only by an empty pattern (``*`` needs a character);
- ``?`` is any one byte; ``\\x`` is a literal ``x``, a trailing lone ``\\`` a literal backslash;
- ``[abc]``, ``[^abc]``, ``[a-z]`` with reversed ranges swapped, bytes >= 0x80 compared as C's signed
  ``char`` in ranges, ``\\x`` inside a class matched case-sensitively even in nocase mode, ``]``
  right after ``[`` closing an empty class, and a pattern that ends inside a class (``[ab`` is the class
  {a, b}; ``[`` alone never matches; ``[^`` matches any byte).

How: every token but ``*`` consumes exactly one byte, so the pattern splits at its stars into
fixed-length segments. A string matches when the first segment matches at its start, the last at its
end, and the middle ones in order in between, each at its leftmost place (taking the leftmost never
loses a match, because a segment's length is fixed). That is linear in the string per segment and
immune to the exponential backtracking a translation to one ``.*`` regex can suffer. Classes are
evaluated for all 256 byte values at compile time (transcribing the C loop), so a segment becomes a
plain ``re`` character-class sequence. Common shapes (no special character, ``prefix*``, ``*suffix``,
``*infix*``) skip ``re`` entirely.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[bytes], bool]

_SPECIAL = re.compile(rb"[*?\[\\]")
_ANY = object()  # token: '?'


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(b: int) -> int:
    return b + 32 if 65 <= b <= 90 else b


def _class_members(p: bytes, i: int, nocase: bool) -> tuple[frozenset[int], int]:
    """Transcribe the ``[`` branch of stringmatchlen: ``i`` is just past ``[``. Returns the bytes the
    class matches and the index just past the class (its ``]``, or the pattern's end)."""
    n = len(p)
    at = lambda k: p[k] if k < n else 0  # noqa: E731 - the C string's NUL terminator
    negate = at(i) == 0x5E and i < n  # '^'
    if negate:
        i += 1
    exact: set[int] = set()  # escaped bytes: compared case-sensitively
    plain: set[int] = set()
    ranges: list[tuple[int, int]] = []
    while True:
        left = n - i
        if at(i) == 0x5C and left >= 2:  # '\\'
            i += 1
            exact.add(p[i])
        elif at(i) == 0x5D and left > 0:  # ']'
            break
        elif left == 0:
            i -= 1
            break
        elif left >= 3 and p[i + 1] == 0x2D:  # 'a-z'
            start, end = _signed(p[i]), _signed(p[i + 2])
            if start > end:
                start, end = end, start
            ranges.append((start, end))
            i += 2
        else:
            plain.add(p[i])
        i += 1
    members = set()
    for c in range(256):
        hit = c in exact
        if not hit:
            cc = _lower(c) if nocase else c
            hit = any(_lower(x) == cc for x in plain) if nocase else c in plain
            if not hit:
                sc = _signed(c)
                for start, end in ranges:
                    if nocase:
                        if _lower_signed(start) <= _lower_signed(sc) <= _lower_signed(end):
                            hit = True
                            break
                    elif start <= sc <= end:
                        hit = True
                        break
        if hit != negate:
            members.add(c)
    return frozenset(members), i + 1


def _lower_signed(v: int) -> int:
    return v + 32 if 65 <= v <= 90 else v


def _tokens(p: bytes, nocase: bool) -> list[object]:
    """The pattern as tokens: None for ``*``, _ANY for ``?``, a frozenset of byte values otherwise."""
    out: list[object] = []
    i, n = 0, len(p)
    while i < n:
        ch = p[i]
        if ch == 0x2A:  # '*'
            if not out or out[-1] is not None:
                out.append(None)
            i += 1
        elif ch == 0x3F:  # '?'
            out.append(_ANY)
            i += 1
        elif ch == 0x5B:  # '['
            members, i = _class_members(p, i + 1, nocase)
            out.append(members)
        else:
            if ch == 0x5C and n - i >= 2:
                i += 1
                ch = p[i]
            if nocase and _lower(ch) != ch or nocase and 97 <= ch <= 122:
                out.append(frozenset({ch, _lower(ch), ch - 32 if 97 <= ch <= 122 else ch}))
            else:
                out.append(ch)
            i += 1
    return out


def _segment_regex(seg: list[object]) -> re.Pattern[bytes]:
    parts: list[bytes] = []
    for t in seg:
        if t is _ANY:
            parts.append(b".")
        elif isinstance(t, int):
            parts.append(re.escape(bytes((t,))))
        else:
            members = sorted(t)  # type: ignore[arg-type]
            if not members:
                parts.append(b"(?!)")
            elif len(members) == 256:
                parts.append(b".")
            else:
                parts.append(b"[" + b"".join(b"\\x%02x" % m for m in members) + b"]")
    return re.compile(b"".join(parts), re.DOTALL)


def _segment(seg: list[object]) -> bytes | re.Pattern[bytes]:
    """A literal segment as bytes (matched with find/startswith), anything else as a regex."""
    if all(isinstance(t, int) for t in seg):
        return bytes(seg)  # type: ignore[arg-type]
    return _segment_regex(seg)


@lru_cache(maxsize=4096)
def compile_glob(pattern: bytes, nocase: bool = False) -> Matcher:
    """The matcher for ``pattern`` (cached: KEYS, SCAN and PSUBSCRIBE compile each pattern once)."""
    if not pattern:
        return lambda s: not s
    if not nocase and _SPECIAL.search(pattern) is None:
        return pattern.__eq__
    if not nocase:
        body = pattern.rstrip(b"*")
        stars_end = len(body) < len(pattern)
        core = body.lstrip(b"*")
        stars_start = len(core) < len(body)
        if _SPECIAL.search(core) is None:
            if not core:
                return bool  # type: ignore[return-value]  # '*': any non-empty string
            if stars_start and stars_end:
                return lambda s: core in s
            if stars_end:
                return lambda s: s.startswith(core)
            if stars_start:
                return lambda s: s.endswith(core)
    return _general(_tokens(pattern, nocase))


def _general(tokens: list[object]) -> Matcher:
    segs_raw: list[list[object]] = [[]]
    for t in tokens:
        if t is None:
            segs_raw.append([])
        else:
            segs_raw[-1].append(t)
    if len(segs_raw) == 1:
        only = _segment(segs_raw[0])
        if isinstance(only, bytes):
            return only.__eq__
        return lambda s: only.fullmatch(s) is not None  # type: ignore[union-attr]
    first_len = len(segs_raw[0])
    last_len = len(segs_raw[-1])
    first = _segment(segs_raw[0]) if first_len else None
    last = _segment(segs_raw[-1]) if last_len else None
    middle = [_segment(s) for s in segs_raw[1:-1]]
    min_len = max(1, first_len + last_len + sum(len(s) for s in segs_raw[1:-1]))

    def match(s: bytes) -> bool:
        n = len(s)
        if n < min_len:
            return False
        end = n - last_len
        if first is not None:
            if first.__class__ is bytes:
                if not s.startswith(first):  # type: ignore[arg-type]
                    return False
            elif first.match(s) is None:  # type: ignore[union-attr]
                return False
        if last is not None:
            if last.__class__ is bytes:
                if not s.endswith(last):  # type: ignore[arg-type]
                    return False
            elif last.fullmatch(s, end) is None:  # type: ignore[union-attr]
                return False
        pos = first_len
        for seg in middle:
            if seg.__class__ is bytes:
                at = s.find(seg, pos, end)  # type: ignore[arg-type]
                if at < 0:
                    return False
                pos = at + len(seg)  # type: ignore[arg-type]
            else:
                m = seg.search(s, pos, end)  # type: ignore[union-attr]
                if m is None:
                    return False
                pos = m.end()
        return True

    return match


def stringmatch(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """One-off match (compiles through the cache)."""
    return compile_glob(pattern, nocase)(string)
