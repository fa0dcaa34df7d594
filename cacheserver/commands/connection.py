"""Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET."""

from __future__ import annotations

import hmac
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.errors import CommandError
from cacheserver.numbers import parse_ll
from cacheserver.protocol.replies import OK, PONG, Raw

RESET_REPLY = Raw(b"+RESET\r\n")


@command(
    "ping",
    -1,
    flags="fast",
    group="connection",
    tips="request_policy:all_shards response_policy:all_succeeded",
    summary="Check that the server answers; with an argument, echo it back.",
    complexity="O(1)",
    syntax="[message]",
)
def ping(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise errors.wrong_arity("ping")
    if c.gated and c.resp == 2 and c.subscription_count():  # a RESP2 subscriber is always gated
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo", 2, flags="loading stale fast", group="connection", summary="Return the given string.", complexity="O(1)", syntax="message")
def echo(c: Any, argv: list[bytes]) -> bytes:
    return argv[1]


def check_password(c: Any, username: bytes, password: bytes) -> bool:
    """The only user is ``default``: it accepts ``requirepass``, or any password when none is set."""
    if username != b"default":
        return False
    required = c.server.requirepass
    if not required:
        return True
    return hmac.compare_digest(password, required.encode())


def authenticate(c: Any, username: bytes, password: bytes) -> None:
    if not check_password(c, username, password):
        c.server.log_auth_failure(c)
        raise errors.WRONGPASS
    c.authenticated = True
    c.user = "default"
    c.update_gate()


@command(
    "auth",
    -2,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="1.0.0",
    summary="Authenticate the connection as the default user (or a named user).",
    complexity="O(N) where N is the number of passwords defined for the user",
    syntax="[username] password",
)
def auth(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise errors.SYNTAX
    if len(argv) == 2:
        if not c.server.requirepass:
            raise errors.AUTH_NOT_CONFIGURED
        authenticate(c, b"default", argv[1])
    else:
        authenticate(c, argv[1], argv[2])
    return OK


_BAD_NAME = CommandError("Client names cannot contain spaces, newlines or special characters.")


def validate_client_name(name: bytes) -> None:
    for ch in name:
        if ch < 33 or ch > 126:
            raise _BAD_NAME


@command(
    "hello",
    -1,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="6.0.0",
    summary="Handshake: choose the protocol version, optionally authenticate and name the connection.",
    complexity="O(1)",
    syntax="[protover [AUTH username password] [SETNAME clientname]]",
)
def hello(c: Any, argv: list[bytes]) -> Any:
    version = c.resp
    if len(argv) >= 2:
        v = parse_ll(argv[1])
        if v is None:
            raise CommandError("Protocol version is not an integer or out of range")
        if v < 2 or v > 3:
            raise CommandError("unsupported protocol version", "NOPROTO")
        version = v
    user = password = name = None
    i = 2
    while i < len(argv):
        opt = argv[i].upper()
        more = len(argv) - i - 1
        if opt == b"AUTH" and more >= 2:
            user, password = argv[i + 1], argv[i + 2]
            i += 3
        elif opt == b"SETNAME" and more >= 1:
            name = argv[i + 1]
            validate_client_name(name)
            i += 2
        else:
            raise CommandError(f"Syntax error in HELLO option '{errors.arg_text(argv[i])}'")
    if user is not None:
        authenticate(c, user, password)  # type: ignore[arg-type]
    if not c.authenticated:
        raise CommandError(
            "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> "
            "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
            "protocol version at the same time",
            "NOAUTH",
        )
    if name is not None:
        c.name = name
    c.set_resp(version)
    server = c.server
    return {
        b"server": b"redis",
        b"version": server.redis_version.encode(),
        b"proto": version,
        b"id": c.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }


@command(
    "select",
    2,
    flags="loading stale fast",
    group="connection",
    summary="Change the selected database of this connection.",
    complexity="O(1)",
    syntax="index",
)
def select(c: Any, argv: list[bytes]) -> Any:
    index = parse_ll(argv[1])
    if index is None:
        raise errors.NOT_INTEGER
    if not 0 <= index < len(c.server.keyspace.dbs):
        raise errors.DB_INDEX_OUT_OF_RANGE
    c.select(index)
    return OK


@command(
    "quit",
    -1,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    summary="Close the connection after replying OK.",
    complexity="O(1)",
    doc_flags="deprecated",
)
def quit_(c: Any, argv: list[bytes]) -> Any:
    c.close_after_reply = True
    return OK


@command(
    "reset",
    1,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="6.2.0",
    summary="Return the connection to its initial state.",
    complexity="O(1)",
)
def reset(c: Any, argv: list[bytes]) -> Any:
    c.server.reset_client(c)
    return RESET_REPLY


# Cluster-mode connection commands: this server runs as a Redis without cluster support answers them.
_NO_CLUSTER = CommandError("This instance has cluster support disabled")


@command("readonly", 1, flags="loading stale fast", group="cluster", since="3.0.0", acl="@connection",
         summary="Cluster mode: allow reads from a replica on this connection (refused here).", complexity="O(1)")  # fmt: skip
def readonly(c: Any, argv: list[bytes]) -> Any:
    raise _NO_CLUSTER


@command("readwrite", 1, flags="loading stale fast", group="cluster", since="3.0.0", acl="@connection",
         summary="Cluster mode: stop reads from a replica on this connection (refused here).", complexity="O(1)")  # fmt: skip
def readwrite(c: Any, argv: list[bytes]) -> Any:
    raise _NO_CLUSTER


@command("asking", 1, flags="fast", group="cluster", since="3.0.0", acl="@connection",
         summary="Cluster mode: announce a command that follows an -ASK redirection (refused here).", complexity="O(1)")  # fmt: skip
def asking(c: Any, argv: list[bytes]) -> Any:
    raise _NO_CLUSTER

