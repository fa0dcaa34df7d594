"""Every error reply the server sends, with Redis 7.0's exact prefix and text.

Rules: a handler signals an expected failure by raising a ``CommandError`` (or returning one inside an
array, as EXEC does); the dispatcher turns it into ``-PREFIX message\\r\\n``. Fixed errors are built once
here and reused: raising a module-level instance costs nothing to construct. Texts are copied from Redis
because clients (redis-py maps the prefix to an exception class) and people match on them.
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply: ``prefix`` is the first word (ERR, WRONGTYPE, ...), ``message`` the rest."""

    __slots__ = ("prefix", "message", "_encoded")

    def __init__(self, message: str, prefix: str = "ERR") -> None:
        super().__init__(message)
        self.prefix = prefix
        self.message = message
        self._encoded: bytes | None = None

    @property
    def text(self) -> str:
        return f"{self.prefix} {self.message}" if self.prefix else self.message

    def encoded(self) -> bytes:
        """``-PREFIX message\\r\\n``; newlines inside are replaced by spaces as Redis does."""
        enc = self._encoded
        if enc is None:
            text = self.text.replace("\r", " ").replace("\n", " ")
            enc = self._encoded = b"-" + text.encode("utf-8", "surrogateescape") + b"\r\n"
        return enc

    def __repr__(self) -> str:
        return f"CommandError({self.text!r})"


class ProtocolError(Exception):
    """The client's bytes are not valid RESP: reply ``-ERR Protocol error: ...`` and close the connection."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def encoded(self) -> bytes:
        return b"-ERR Protocol error: " + self.message.encode() + b"\r\n"


def arg_text(arg: bytes, limit: int = 128) -> str:
    """An argument as Redis prints it inside an error (``%.128s``): raw bytes, cut at ``limit``."""
    return arg[:limit].decode("utf-8", "surrogateescape")


# Fixed errors, raised as shared instances.
SYNTAX = CommandError("syntax error")
WRONGTYPE = CommandError("Operation against a key holding the wrong kind of value", "WRONGTYPE")
NOT_INTEGER = CommandError("value is not an integer or out of range")
NOT_FLOAT = CommandError("value is not a valid float")
OVERFLOW = CommandError("increment or decrement would overflow")
NAN_OR_INF = CommandError("increment would produce NaN or Infinity")
NO_SUCH_KEY = CommandError("no such key")
DB_INDEX_OUT_OF_RANGE = CommandError("DB index is out of range")
INVALID_DB_INDEX = CommandError("invalid DB index")
STRING_TOO_LONG = CommandError("string exceeds maximum allowed size (proto-max-bulk-len)")
BIT_OFFSET = CommandError("bit offset is not an integer or out of range")
BIT_VALUE = CommandError("bit is not an integer or out of range")
OFFSET_OUT_OF_RANGE = CommandError("offset is out of range")
NOAUTH = CommandError("Authentication required.", "NOAUTH")
WRONGPASS = CommandError("invalid username-password pair or user is disabled.", "WRONGPASS")
AUTH_NOT_CONFIGURED = CommandError(
    "AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
OOM = CommandError("command not allowed when used memory > 'maxmemory'.", "OOM")
TIMEOUT_NOT_FLOAT = CommandError("timeout is not a float or out of range")
TIMEOUT_NEGATIVE = CommandError("timeout is negative")
MUST_BE_POSITIVE = CommandError("value is out of range, must be positive")
INTERNAL = CommandError("internal error")


def wrong_arity(fullname: str) -> CommandError:
    return CommandError(f"wrong number of arguments for '{fullname}' command")


def unknown_command(argv: list[bytes]) -> CommandError:
    args = ""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += "'" + arg_text(a, 128 - len(args)) + "' "
    return CommandError(f"unknown command '{arg_text(argv[0])}', with args beginning with: {args}")


def unknown_subcommand(sub: bytes, container: str) -> CommandError:
    return CommandError(f"unknown subcommand '{arg_text(sub)}'. Try {container.upper()} HELP.")


def invalid_expire(command: str) -> CommandError:
    return CommandError(f"invalid expire time in '{command}' command")
