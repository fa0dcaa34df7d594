"""Reply value types: what a handler returns, independent of the protocol version it is sent in.

The mapping from Python values to RESP is fixed and never guessed from content:

=====================  ==============================  ==================================
value                  RESP2                           RESP3
=====================  ==============================  ==================================
``bytes``              bulk string                     bulk string
``str``                simple string ``+...``          simple string
``int``                integer                         integer
``bool``               integer 1/0                     boolean ``#t``/``#f``
``float``              bulk string (``%.17g``)         double ``,``
``None``               null bulk ``$-1``               null ``_``
``list``/``tuple``     array                           array
``dict`` / ``Map``     flat array                      map ``%``
``SetReply``           array                           set ``~``
``Push``               array                           push ``>``
``Verbatim``           bulk string                     verbatim ``=``
``Raw``                the bytes as they are           the bytes as they are
``Dual``               its RESP2 bytes                 its RESP3 bytes
``CommandError``       error ``-...``                  error
=====================  ==============================  ==================================
"""

from __future__ import annotations


class Raw(bytes):
    """Bytes already encoded as RESP, sent as they are (pre-encoded constant replies)."""

    __slots__ = ()


class Dual:
    """A constant whose encoding differs between RESP2 and RESP3 (the null array, for one)."""

    __slots__ = ("resp2", "resp3")

    def __init__(self, resp2: bytes, resp3: bytes) -> None:
        self.resp2 = resp2
        self.resp3 = resp3


class Map:
    """An ordered map reply built from pairs (a dict works too when keys are hashable and unique)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[object, object]]) -> None:
        self.pairs = pairs


class SetReply(list):
    """An array that RESP3 sends as a set (``~``): SMEMBERS, SINTER, ..."""

    __slots__ = ()


class Push(list):
    """An out-of-band message: a pub/sub or invalidation frame (``>`` in RESP3)."""

    __slots__ = ()


class Verbatim:
    """Text with a three-letter format (``txt``, ``mkd``): INFO, CLIENT LIST and LATENCY DOCTOR in RESP3."""

    __slots__ = ("text", "fmt")

    def __init__(self, text: bytes, fmt: bytes = b"txt") -> None:
        self.text = text
        self.fmt = fmt


class BigNumber:
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value


class NoReply:
    """Sent nothing: the handler wrote (or will write) its reply another way, e.g. a blocked client."""

    __slots__ = ()


OK = Raw(b"+OK\r\n")
PONG = Raw(b"+PONG\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
EMPTY_ARRAY = Raw(b"*0\r\n")
NULL_ARRAY = Dual(b"*-1\r\n", b"_\r\n")
NO_REPLY = NoReply()
