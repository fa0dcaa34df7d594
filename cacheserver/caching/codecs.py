"""Entry encoding: a versioned header, the freshness metadata, then the value in the chosen codec.

Layout of every stored entry (big-endian)::

    magic 0xC7 | format 1 | codec id | flags | fresh_until_ms (int64) | delta_ms (uint32) | payload

``fresh_until_ms`` is wall time after which the entry is stale (the Redis TTL keeps it longer when a stale
window is configured); ``delta_ms`` is the measured recompute time XFetch needs. A reader that sees another
magic, format or codec id treats the entry as a miss: a format change never misreads old data.
JSON is the default codec. Pickle runs arbitrary code on load, so it is only available signed: an
HMAC-SHA256 of the payload under the user's key is checked before unpickling and unsigned or forged data is
refused. msgpack is used only when installed and chosen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import struct
from dataclasses import dataclass
from json import scanner as _json_scanner
from typing import Any, Protocol

MAGIC = 0xC7
FORMAT = 1
FLAG_NEGATIVE = 1  # the loader returned None and the policy caches it

_HEADER = struct.Struct(">BBBBqI")
HEADER_SIZE = _HEADER.size
_TAGGED = struct.Struct(">3sBqI")  # the header as tag (magic, format, codec id), flags, fresh_until_ms, delta_ms


class Codec(Protocol):
    codec_id: int

    def dumps(self, value: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


class CodecError(ValueError):
    """Stored bytes that this reader must not trust or cannot read (forged signature, unknown format)."""


# json.loads on bytes sniffs the encoding and strips whitespace in Python before the C scanner runs: several
# times the scan itself for a small value. Our payloads are compact ASCII JSON, so the scanner reads them
# directly; anything it does not consume exactly goes through json.loads, which accepts or rejects it.
_scan_json = _json_scanner.make_scanner(json.JSONDecoder())


class JsonCodec:
    codec_id = 1

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        try:
            text = data.decode()
            value, end = _scan_json(text, 0)
        except Exception:
            return json.loads(data)
        if end != len(text):
            return json.loads(data)
        return value


class SignedPickleCodec:
    """Pickle behind an HMAC: a payload whose signature does not verify under ``key`` is never unpickled."""

    codec_id = 2
    _MAC_SIZE = 32

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("SignedPickleCodec needs a non-empty secret key")
        self._key = key

    def dumps(self, value: Any) -> bytes:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._key, payload, hashlib.sha256).digest() + payload

    def loads(self, data: bytes) -> Any:
        mac, payload = data[: self._MAC_SIZE], data[self._MAC_SIZE :]
        if len(mac) != self._MAC_SIZE or not hmac.compare_digest(
            mac, hmac.new(self._key, payload, hashlib.sha256).digest()
        ):
            raise CodecError("pickle entry has a missing or wrong signature; refusing to load it")
        return pickle.loads(payload)


class MsgpackCodec:
    codec_id = 3

    def __init__(self) -> None:
        try:
            import msgpack
        except ImportError as exc:  # optional dependency
            raise ImportError("MsgpackCodec needs the msgpack package (pip install msgpack)") from exc
        self._msgpack = msgpack

    def dumps(self, value: Any) -> bytes:
        return self._msgpack.packb(value, use_bin_type=True)

    def loads(self, data: bytes) -> Any:
        return self._msgpack.unpackb(data, raw=False)


@dataclass(slots=True)
class Entry:
    """A decoded cache entry. ``value`` is None for a negative entry."""

    value: Any
    fresh_until: float  # wall seconds
    delta: float  # seconds the last recompute took
    negative: bool = False


def encode_entry(codec: Codec, value: Any, fresh_until: float, delta: float, negative: bool = False) -> bytes:
    payload = b"" if negative else codec.dumps(value)
    header = _HEADER.pack(
        MAGIC,
        FORMAT,
        codec.codec_id,
        FLAG_NEGATIVE if negative else 0,
        int(fresh_until * 1000),
        min(int(delta * 1000), 0xFFFFFFFF),
    )
    return header + payload


def entry_tag(codec: Codec) -> bytes:
    """The first bytes of every entry this reader accepts: magic, format and the codec's id."""
    return bytes((MAGIC, FORMAT, codec.codec_id))


def decode_fields(codec: Codec, tag: bytes, data: bytes | None) -> tuple[Any, int, int, int] | None:
    """(value, flags, fresh_until_ms, delta_ms) of an entry starting with ``tag`` (``entry_tag(codec)``), or
    None when absent, of another format or codec, or corrupt; CodecError when the codec refuses it.

    The read path's one call per hit: no Entry built, and the header read with one unpack.
    """
    if data is None or len(data) < HEADER_SIZE:
        return None
    head, flags, fresh_ms, delta_ms = _TAGGED.unpack_from(data)
    if head != tag:
        return None
    if flags & FLAG_NEGATIVE:
        return None, flags, fresh_ms, delta_ms
    try:
        return codec.loads(data[HEADER_SIZE:]), flags, fresh_ms, delta_ms
    except CodecError:
        raise
    except Exception:  # corrupt payload: a miss, the next load overwrites it
        return None


def decode_entry(codec: Codec, data: bytes | None) -> Entry | None:
    """The entry in ``data``, or None when absent or written in a format/codec this reader does not use."""
    fields = decode_fields(codec, entry_tag(codec), data)
    if fields is None:
        return None
    value, flags, fresh_ms, delta_ms = fields
    return Entry(value, fresh_ms / 1000, delta_ms / 1000, bool(flags & FLAG_NEGATIVE))
