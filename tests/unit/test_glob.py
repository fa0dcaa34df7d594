"""The glob matcher against a line-by-line transcription of Redis's ``stringmatchlen`` (util.c)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cacheserver.pubsub.glob import compile_glob, stringmatch


def _tolower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def _sc(b: int) -> int:
    """C's signed ``char``."""
    return b - 256 if b >= 128 else b


def reference(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """stringmatchlen transcribed: indexes instead of pointers, 0 past the end (the sds NUL)."""
    p = pattern + b"\0"
    s = string + b"\0"
    skip = [False]

    def impl(pi: int, plen: int, si: int, slen: int) -> bool:
        while plen and slen:
            ch = p[pi]
            if ch == ord("*"):
                while plen and p[pi + 1] == ord("*"):
                    pi += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if impl(pi + 1, plen - 1, si, slen):
                        return True
                    if skip[0]:
                        return False
                    si += 1
                    slen -= 1
                skip[0] = True
                return False
            elif ch == ord("?"):
                si += 1
                slen -= 1
            elif ch == ord("["):
                pi += 1
                plen -= 1
                negate = p[pi] == ord("^")
                if negate:
                    pi += 1
                    plen -= 1
                match = False
                while True:
                    if p[pi] == ord("\\") and plen >= 2:
                        pi += 1
                        plen -= 1
                        if p[pi] == s[si]:
                            match = True
                    elif p[pi] == ord("]"):
                        break
                    elif plen == 0:
                        pi -= 1
                        plen += 1
                        break
                    elif plen >= 3 and p[pi + 1] == ord("-"):
                        start, end, c = _sc(p[pi]), _sc(p[pi + 2]), _sc(s[si])
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, c = _tolower(start), _tolower(end), _tolower(c)
                        pi += 2
                        plen -= 2
                        if start <= c <= end:
                            match = True
                    else:
                        if nocase:
                            if _tolower(p[pi]) == _tolower(s[si]):
                                match = True
                        elif p[pi] == s[si]:
                            match = True
                    pi += 1
                    plen -= 1
                if negate:
                    match = not match
                if not match:
                    return False
                si += 1
                slen -= 1
            else:
                if ch == ord("\\") and plen >= 2:
                    pi += 1
                    plen -= 1
                if nocase:
                    if _tolower(p[pi]) != _tolower(s[si]):
                        return False
                elif p[pi] != s[si]:
                    return False
                si += 1
                slen -= 1
            pi += 1
            plen -= 1
            if slen == 0:
                while p[pi] == ord("*"):
                    pi += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return impl(0, len(pattern), 0, len(string))


ALPHABET = b"abAB-^]\\[*?z\x80\xff\x00"
patterns = st.lists(st.sampled_from([bytes((c,)) for c in ALPHABET]), max_size=10).map(b"".join)
strings = st.lists(st.sampled_from([bytes((c,)) for c in b"abAB-^]\\[*?zZ\x80\xff\x00\x7f"]), max_size=10).map(
    b"".join
)


@settings(max_examples=3000, deadline=None)
@given(patterns, strings, st.booleans())
def test_matches_stringmatchlen(pattern: bytes, string: bytes, nocase: bool) -> None:
    assert compile_glob(pattern, nocase)(string) == reference(pattern, string, nocase)


@settings(max_examples=500, deadline=None)
@given(patterns, strings)
def test_matches_when_string_is_built_from_the_pattern(pattern: bytes, string: bytes) -> None:
    # Strings derived from the pattern itself hit matches far more often than random ones.
    candidate = pattern.replace(b"*", string[:3]).replace(b"?", b"a")
    assert compile_glob(pattern)(candidate) == reference(pattern, candidate)


CASES = [
    (b"*", b"", False),
    (b"*", b"x", True),
    (b"", b"", True),
    (b"h?llo", b"hello", True),
    (b"h*llo", b"heeeello", True),
    (b"h[ae]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[b-a]llo", b"hbllo", True),  # reversed range
    (b"h\\*llo", b"h*llo", True),
    (b"h\\*llo", b"hello", False),
    (b"[", b"[", False),  # '[' alone never matches
    (b"[^", b"q", True),  # '[^' at the end matches any byte
    (b"[ab", b"b", True),  # a pattern ending inside a class
    (b"[]", b"]", False),
    (b"a\\", b"a\\", True),
    (b"[\x00-a]", b"\xff", False),
    (b"[a-\xff]", b"\xff", True),  # signed char: the range becomes [-1, 'a']
    (b"[a-\xff]", b"\x00", True),
    (b"[a-\xff]", b"b", False),
]


def test_known_cases() -> None:
    for pattern, string, expected in CASES:
        assert stringmatch(pattern, string) is expected, (pattern, string)
        assert reference(pattern, string) is expected, (pattern, string)


def test_nocase_keeps_escapes_inside_a_class_exact() -> None:
    assert stringmatch(b"[\\A]", b"a", nocase=True) is False
    assert stringmatch(b"[A]", b"a", nocase=True) is True
    assert stringmatch(b"\\A", b"a", nocase=True) is True


def test_no_exponential_backtracking() -> None:
    pattern = b"*a" * 20 + b"*b"
    assert compile_glob(pattern)(b"a" * 5000) is False


def test_compiled_once() -> None:
    assert compile_glob(b"user:*:name") is compile_glob(b"user:*:name")
