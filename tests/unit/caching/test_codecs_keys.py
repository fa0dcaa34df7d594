"""Entry format, codecs and key templates of the caching library."""

from __future__ import annotations

import pickle

import pytest

from cacheserver.caching.codecs import (
    HEADER_SIZE,
    CodecError,
    JsonCodec,
    SignedPickleCodec,
    decode_entry,
    encode_entry,
)
from cacheserver.caching.keys import KeyBuilder, KeyTemplateError, template_fields


def test_json_entry_round_trip_keeps_freshness_metadata() -> None:
    raw = encode_entry(JsonCodec(), {"a": [1, 2]}, fresh_until=1234.5, delta=0.25)
    entry = decode_entry(JsonCodec(), raw)
    assert (entry.value, entry.fresh_until, entry.delta, entry.negative) == ({"a": [1, 2]}, 1234.5, 0.25, False)


def test_negative_entry_is_distinct_from_absent() -> None:
    raw = encode_entry(JsonCodec(), None, 10.0, 0.0, negative=True)
    entry = decode_entry(JsonCodec(), raw)
    assert entry is not None and entry.negative and entry.value is None
    assert decode_entry(JsonCodec(), None) is None


def test_json_codec_reads_what_json_loads_reads() -> None:
    codec = JsonCodec()
    for value in ({"a": [1, 2.5, None, True]}, "é", 2**70, float("inf"), [], 0):
        assert codec.loads(codec.dumps(value)) == value
    assert codec.loads(b' { "a" : 1 } ') == {"a": 1}  # whitespace the compact writer never emits
    assert codec.loads('"\u00e9"'.encode("utf-16")) == "é"  # json.loads sniffs UTF-16 too
    for bad in (b"{not json", b"1 2", b"", b"\xff"):
        with pytest.raises(ValueError):
            codec.loads(bad)


def test_other_format_or_codec_reads_as_miss() -> None:
    raw = encode_entry(JsonCodec(), 1, 10.0, 0.0)
    assert decode_entry(JsonCodec(), b"\xc7\x02" + raw[2:]) is None  # a future format version
    assert decode_entry(SignedPickleCodec(b"k"), raw) is None  # written by another codec
    assert decode_entry(JsonCodec(), b"plain old value") is None
    assert decode_entry(JsonCodec(), raw[:HEADER_SIZE] + b"{not json") is None


def test_signed_pickle_refuses_forged_and_unsigned_data() -> None:
    codec = SignedPickleCodec(b"secret")
    raw = encode_entry(codec, {1, 2}, 10.0, 0.0)
    assert decode_entry(codec, raw).value == {1, 2}
    with pytest.raises(CodecError):
        decode_entry(SignedPickleCodec(b"other key"), raw)
    unsigned = raw[:HEADER_SIZE] + pickle.dumps({3})
    with pytest.raises(CodecError):
        decode_entry(codec, unsigned)


def test_pickle_needs_a_key() -> None:
    with pytest.raises(ValueError):
        SignedPickleCodec(b"")


def test_template_fields() -> None:
    assert template_fields("u:{user.id}:{ids[0]}:{user.name}") == ["user", "ids"]
    with pytest.raises(KeyTemplateError):
        template_fields("u:{}")


def test_key_template_checked_against_signature() -> None:
    def load(tenant: str, user_id: int, verbose: bool = False) -> None: ...

    assert KeyBuilder(load, "t:{tenant}:u:{user_id}").build(("acme",), {"user_id": 7}) == "t:acme:u:7"
    with pytest.raises(KeyTemplateError, match=r"uses \{uid\}.*no parameter 'uid'"):
        KeyBuilder(load, "u:{uid}")


def test_default_key_covers_every_argument_with_defaults() -> None:
    def load(a: int, b: int = 2) -> None: ...

    builder = KeyBuilder(load, None, "mod.load:")
    assert builder.build((1,), {}) == "mod.load:a=1:b=2"
    assert builder.build((1, 3), {}) == "mod.load:a=1:b=3"
