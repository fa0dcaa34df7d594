"""CLIENT subcommands: identity (ID, SETNAME, GETNAME, SETINFO), listing (LIST, INFO), KILL, REPLY,
NO-EVICT, NO-TOUCH, PAUSE/UNPAUSE and HELP.

Rules: nothing here adds work to the per-command path of ordinary clients. A paused server and a
NO-TOUCH client are handled by gates that are only entered when ``dispatcher.gated`` or
``client.gated`` is set: CLIENT PAUSE registers a server gate that postpones commands (the client's
``blocked`` marker) until UNPAUSE or the deadline; NO-TOUCH marks the client gated and its gate saves
the access stamps of the command's keys, restored right after the batch, so the lookups themselves stay
untouched code.
"""

from __future__ import annotations

from typing import Any

from cacheserver import errors
from cacheserver.commands.connection import validate_client_name
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.errors import CommandError
from cacheserver.network.client_state import REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT
from cacheserver.numbers import parse_ll
from cacheserver.protocol.replies import NO_REPLY, OK, Map, SetReply, Verbatim

CLIENT = container(
    "client",
    group="connection",
    since="2.4.0",
    summary="A container for client connection commands.",
    complexity="Depends on subcommand.",
    flags="",
)
CLIENT.acl = ("@slow",)  # the container itself carries no @connection in Redis

_CLIENT_TYPES = ("normal", "master", "replica", "slave", "pubsub")


def client_type(c: Any) -> str:
    """Redis's getClientType: monitors count as normal clients, subscribers as pubsub."""
    return "pubsub" if c.subscription_count() else "normal"


def _check_type(name: bytes) -> str:
    t = name.decode("utf-8", "surrogateescape").lower()
    if t not in _CLIENT_TYPES:
        raise CommandError(f"Unknown client type '{errors.arg_text(name)}'")
    return "replica" if t == "slave" else t


def client_info_line(c: Any, now_ms: int, current: str | None = None, argv_mem: int = 0) -> str:
    """One CLIENT LIST line, fields in Redis 7.0's order (plus 7.2's lib-name and lib-ver)."""
    buf = c.transport_info() if c.transport_info is not None else {"qbuf": 0, "obl": 0, "omem": 0}
    qbuf = buf.get("qbuf", 0)
    omem = buf.get("omem", 0)
    multi = len(c.multi) if c.multi is not None else -1
    multi_mem = sum(sum(len(a) for a in argv) for _, argv in c.multi) if c.multi else 0
    cmd = current if current is not None else c.last_cmd
    redir = c.tracking.redirect if c.tracking is not None else -1
    return (
        f"id={c.id} addr={c.addr} laddr={c.laddr} fd={c.fd} name={c.name.decode('utf-8', 'surrogateescape')} "
        f"age={(now_ms - c.created_ms) // 1000} idle={(now_ms - c.last_ms) // 1000} flags={c.flags()} "
        f"db={c.db.index} sub={len(c.channels)} psub={len(c.patterns)} ssub={len(c.shard_channels)} "
        f"multi={multi} qbuf={qbuf} qbuf-free=0 argv-mem={argv_mem} multi-mem={multi_mem} rbs=0 rbp=0 "
        f"obl={buf.get('obl', 0)} oll=0 omem={omem} tot-mem={qbuf + omem + argv_mem + multi_mem} "
        f"events={'rw' if omem else 'r'} cmd={cmd} user={c.user} redir={redir} resp={c.resp} "
        f"lib-name={c.lib_name} lib-ver={c.lib_ver}"
    )


def _argv_mem(argv: list[bytes]) -> int:
    """The running command's argument bytes (Redis's argv-mem, for the client asking)."""
    return sum(len(a) for a in argv)


def _text(c: Any, lines: list[str]) -> Verbatim:
    return Verbatim("".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape"))


@command(
    "client|id",
    2,
    flags="noscript loading stale",
    group="connection",
    since="5.0.0",
    summary="Return the ID of this connection.",
    complexity="O(1)",
)
def client_id(c: Any, argv: list[bytes]) -> int:
    return c.id


@command(
    "client|setname",
    3,
    flags="noscript loading stale",
    group="connection",
    since="2.6.9",
    summary="Name this connection (shown by CLIENT LIST).",
    complexity="O(1)",
    syntax="connection-name",
)
def client_setname(c: Any, argv: list[bytes]) -> Any:
    validate_client_name(argv[2])
    c.name = argv[2]
    return OK


@command(
    "client|getname",
    2,
    flags="noscript loading stale",
    group="connection",
    since="2.6.9",
    summary="Return this connection's name.",
    complexity="O(1)",
)
def client_getname(c: Any, argv: list[bytes]) -> Any:
    return c.name if c.name else None


def _valid_lib_text(value: bytes) -> bool:
    # Redis 7.2: like client names, no spaces, newlines or other special characters.
    return all(33 <= ch <= 126 for ch in value)


@command(
    "client|setinfo",
    4,
    flags="noscript loading stale",
    group="connection",
    since="7.2.0",
    summary="Record the client library's name or version for CLIENT LIST.",
    complexity="O(1)",
    syntax="LIB-NAME libname | LIB-VER libver",
)
def client_setinfo(c: Any, argv: list[bytes]) -> Any:
    attr = argv[2].upper()
    value = argv[3]
    if attr not in (b"LIB-NAME", b"LIB-VER"):
        raise CommandError(f"Unrecognized option '{errors.arg_text(argv[2])}'")
    if not _valid_lib_text(value):
        raise CommandError(f"{attr.decode()} cannot contain spaces, newlines or special characters.")
    text = value.decode("utf-8", "surrogateescape")
    if attr == b"LIB-NAME":
        c.lib_name = text
    else:
        c.lib_ver = text
    return OK


def _filter_clients(c: Any, argv: list[bytes]) -> list[Any]:
    clients = list(c.server.clients.values())
    if len(argv) == 2:
        return clients
    opt = argv[2].upper()
    if opt == b"TYPE" and len(argv) == 4:
        t = _check_type(argv[3])
        return [x for x in clients if client_type(x) == t]
    if opt == b"ID" and len(argv) >= 4:
        ids = set()
        for raw in argv[3:]:
            n = parse_ll(raw)
            if n is None:  # any integer is an ID to look for: 0 or a negative one lists nothing
                raise CommandError("Invalid client ID")
            ids.add(n)
        return [x for x in clients if x.id in ids]
    raise errors.SYNTAX


@command(
    "client|list",
    -2,
    flags="admin noscript loading stale",
    group="connection",
    since="2.4.0",
    summary="List the connected clients, one line each.",
    complexity="O(N) where N is the number of client connections",
    syntax="[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
    tips="nondeterministic_output",
)
def client_list(c: Any, argv: list[bytes]) -> Any:
    clients = _filter_clients(c, argv)
    now = c.server.clock.now_ms
    return _text(
        c,
        [
            client_info_line(x, now, _running(c, "client|list"), _argv_mem(argv))
            if x is c
            else client_info_line(x, now)
            for x in clients
        ],
    )


@command(
    "client|info",
    2,
    flags="noscript loading stale",
    group="connection",
    since="6.2.0",
    tips="nondeterministic_output",
    summary="Describe this connection as one CLIENT LIST line.",
    complexity="O(1)",
)
def client_info(c: Any, argv: list[bytes]) -> Any:
    return _text(c, [client_info_line(c, c.server.clock.now_ms, _running(c, "client|info"), _argv_mem(argv))])


def _running(c: Any, name: str) -> str:
    """The ``cmd=`` of the asking client: a handler running while ``c.multi`` is a list runs inside EXEC,
    and Redis then names EXEC, the command the client sent."""
    return "exec" if c.multi is not None else name


def _kill(c: Any, victim: Any) -> None:
    if victim is c:
        c.close_after_reply = True
        return
    conn = c.server.connection_of(victim)
    if conn is not None:
        conn.close()
    else:
        victim.close()


def _user_exists(server: Any, name: str) -> bool:
    users = getattr(server, "acl_users", None)
    return name == "default" if users is None else name in users


@command(
    "client|kill",
    -3,
    flags="admin noscript loading stale",
    group="connection",
    since="2.4.0",
    summary="Close client connections chosen by address or by filters.",
    complexity="O(N) where N is the number of client connections",
    syntax="ip:port | <[ID client-id] [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] [USER username] "
    "[ADDR ip:port] [LADDR ip:port] [SKIPME <YES | NO>]>",
)
def client_kill(c: Any, argv: list[bytes]) -> Any:
    server = c.server
    if len(argv) == 3:
        addr = argv[2].decode("utf-8", "surrogateescape")
        for x in list(server.clients.values()):
            if x.addr == addr:
                _kill(c, x)
                return OK
        raise CommandError("No such client")
    if len(argv) % 2:
        raise errors.SYNTAX
    cid = ctype = user = addr = laddr = None
    skipme = True
    for i in range(2, len(argv), 2):
        opt, val = argv[i].upper(), argv[i + 1]
        if opt == b"ID":
            n = parse_ll(val)
            if n is None or n <= 0:
                raise CommandError("client-id should be greater than 0")
            cid = n
        elif opt == b"TYPE":
            ctype = _check_type(val)
        elif opt == b"USER":
            user = val.decode("utf-8", "surrogateescape")
            if not _user_exists(server, user):
                raise CommandError(f"No such user '{errors.arg_text(val)}'")
        elif opt == b"ADDR":
            addr = val.decode("utf-8", "surrogateescape")
        elif opt == b"LADDR":
            laddr = val.decode("utf-8", "surrogateescape")
        elif opt == b"SKIPME":
            low = val.lower()
            if low == b"yes":
                skipme = True
            elif low == b"no":
                skipme = False
            else:
                raise errors.SYNTAX
        else:
            raise errors.SYNTAX
    killed = 0
    for x in list(server.clients.values()):
        if cid is not None and x.id != cid:
            continue
        if ctype is not None and client_type(x) != ctype:
            continue
        if user is not None and x.user != user:
            continue
        if addr is not None and x.addr != addr:
            continue
        if laddr is not None and x.laddr != laddr:
            continue
        if x is c and skipme:
            continue
        _kill(c, x)
        killed += 1
    return killed


@command(
    "client|reply",
    3,
    flags="noscript loading stale",
    group="connection",
    since="3.2.0",
    summary="Turn this connection's replies on or off, or skip the next one.",
    complexity="O(1)",
    syntax="ON | OFF | SKIP",
)
def client_reply(c: Any, argv: list[bytes]) -> Any:
    mode = argv[2].upper()
    if mode == b"ON":
        c.reply_mode = REPLY_ON
        c.update_gate()
        return OK
    if mode == b"OFF":
        c.reply_mode = REPLY_OFF
    elif mode == b"SKIP":
        if c.reply_mode == REPLY_OFF:
            return NO_REPLY
        c.reply_mode = REPLY_SKIP_NEXT
    else:
        raise errors.SYNTAX
    c.update_gate()
    return NO_REPLY


def _on_off(argv: list[bytes]) -> bool:
    v = argv[2].upper()
    if v == b"ON":
        return True
    if v == b"OFF":
        return False
    raise errors.SYNTAX


@command(
    "client|no-evict",
    3,
    flags="admin noscript loading stale",
    group="connection",
    since="7.0.0",
    summary="Exempt this connection from client eviction.",
    complexity="O(1)",
    syntax="ON | OFF",
)
def client_no_evict(c: Any, argv: list[bytes]) -> Any:
    c.no_evict = _on_off(argv)
    return OK


@command(
    "client|no-touch",
    3,
    flags="noscript loading stale",
    group="connection",
    since="7.2.0",
    summary="Keep this connection's commands from changing the keys' access times.",
    complexity="O(1)",
    syntax="ON | OFF",
)
def client_no_touch(c: Any, argv: list[bytes]) -> Any:
    c.no_touch = _on_off(argv)
    server = c.server
    if server.no_touch_gate is None:
        server.no_touch_gate = NoTouch(server).check
    c.update_gate()
    return OK


class NoTouch:
    """Keeps the access stamps of NO-TOUCH clients' keys as they were.

    ``client.gated`` is set for such a client; its gate records the stamps of the command's keys and a
    callback scheduled for right after the batch writes them back. TOUCH itself still touches, as in
    Redis 7.2.
    """

    def __init__(self, server: Any) -> None:
        self.server = server
        self.saved: list[tuple[Any, bytes, int]] = []
        self.scheduled = False

    def check(self, c: Any, spec: Any, argv: list[bytes]) -> None:
        if spec.name == "touch":
            return
        lru = c.db.lru
        for i in spec.key_positions(argv):  # spec is already the subcommand's (the dispatcher resolves it)
            key = argv[i]
            stamp = lru.get(key)
            if stamp is not None:
                self.saved.append((c.db, key, stamp))
        if self.saved and not self.scheduled and self.server.loop is not None:
            self.scheduled = True
            self.server.loop.call_soon(self.restore)

    def restore(self) -> None:
        self.scheduled = False
        saved, self.saved = self.saved, []
        for db, key, stamp in reversed(saved):
            if key in db.lru:
                db.lru[key] = stamp


# -- CLIENT PAUSE ----------------------------------------------------------------------------------------

PAUSED = "paused"


class Pause:
    """Server-wide pause (CLIENT PAUSE): a gate postpones commands until UNPAUSE or the deadline."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.until_ms = 0
        self.all = False
        self.active = False
        self.timer: Any = None
        self.clients: list[Any] = []

    def pause(self, until_ms: int, all_commands: bool) -> None:
        server = self.server
        if self.active:
            # The stronger mode and the later deadline win, as in Redis.
            self.all = self.all or all_commands
            self.until_ms = max(self.until_ms, until_ms)
        else:
            self.active = True
            self.all = all_commands
            self.until_ms = until_ms
            server.add_gate(self.check)
        if self.timer is not None:
            self.timer.cancel()
        if server.loop is not None:
            delay = max(0.0, (self.until_ms - server.clock.now_ms) / 1000.0)
            self.timer = server.loop.call_later(delay + 0.001, self.expire)

    def expire(self) -> None:
        self.timer = None
        self.server.clock.refresh()
        if self.active and self.server.clock.now_ms >= self.until_ms:
            self.unpause()
        elif self.active and self.server.loop is not None:
            self.timer = self.server.loop.call_later(0.005, self.expire)

    def unpause(self) -> None:
        server = self.server
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.active = False
        server.remove_gate(self.check)
        clients, self.clients = self.clients, []
        for c in clients:
            if c.blocked is PAUSED:
                c.blocked = None
                conn = server.connection_of(c)
                if conn is not None:
                    conn.resume()

    def check(self, c: Any, spec: Any, argv: list[bytes]) -> None:
        if not self.active:
            return None
        if self.server.clock.now_ms >= self.until_ms:
            self.unpause()
            return None
        if not self.all and not _may_write(c, spec, argv):
            return None
        c.blocked = PAUSED
        self.clients.append(c)
        return None


def _may_write(c: Any, spec: Any, argv: list[bytes]) -> bool:
    if spec.is_write or "may_replicate" in spec.flags:
        return True
    if spec.name == "exec" and c.multi:
        return any(s.is_write or "may_replicate" in s.flags for s, _ in c.multi)
    return False


def pause_of(server: Any) -> Pause:
    p = server.client_pause
    if p is None:
        p = server.client_pause = Pause(server)
    return p


@command(
    "client|pause",
    -3,
    flags="admin noscript loading stale",
    group="connection",
    since="3.0.0",
    summary="Postpone the commands of all clients, or only their writes, for a while.",
    complexity="O(1)",
    syntax="timeout [WRITE | ALL]",
)
def client_pause(c: Any, argv: list[bytes]) -> Any:
    timeout = parse_ll(argv[2])
    if timeout is None:
        raise CommandError("timeout is not an integer or out of range")
    if timeout < 0:
        raise CommandError("timeout is negative")
    all_commands = True
    if len(argv) == 4:
        mode = argv[3].upper()
        if mode == b"WRITE":
            all_commands = False
        elif mode != b"ALL":
            raise CommandError("CLIENT PAUSE mode must be WRITE or ALL")
    elif len(argv) > 4:
        raise errors.SYNTAX
    pause_of(c.server).pause(c.server.clock.now_ms + timeout, all_commands)
    return OK


@command(
    "client|unpause",
    2,
    flags="admin noscript loading stale",
    group="connection",
    since="6.2.0",
    summary="End a CLIENT PAUSE and run the postponed commands.",
    complexity="O(N) Where N is the number of paused clients",
)
def client_unpause(c: Any, argv: list[bytes]) -> Any:
    p = c.server.client_pause
    if p is not None and p.active:
        p.unpause()
    return OK


HELP_LINES = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Prints this help.",
]


def help_reply(lines: list[str]) -> list[str]:
    return list(lines)


# -- client-side caching (tracking.Tracking does the work) -------------------------------------------


@command(
    "client|tracking",
    -3,
    flags="noscript loading stale",
    group="connection",
    since="6.0.0",
    summary="Turn invalidation messages for client-side caching on or off for this connection.",
    complexity="O(1). Some options may introduce additional complexity.",
    syntax="ON | OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
)
def client_tracking(c: Any, argv: list[bytes]) -> Any:
    # The options first, then ON's checks in Redis's order (clientCommand "tracking").
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    n = len(argv)
    j = 3
    while j < n:
        opt = argv[j].lower()
        more = j + 1 < n
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise CommandError("A client can only redirect to a single other client")
            redirect = parse_ll(argv[j])
            if redirect is None:
                raise errors.NOT_INTEGER
            if redirect not in c.server.clients:
                raise CommandError("The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise errors.SYNTAX
        j += 1
    mode = argv[2].lower()
    tracking = c.server.tracking
    if mode == b"off":
        tracking.disable(c)
        return OK
    if mode != b"on":
        raise errors.SYNTAX
    t = c.tracking
    if prefixes and not bcast:
        raise CommandError("PREFIX option requires BCAST mode to be enabled")
    if t is not None and t.bcast != bcast:
        raise CommandError(
            "You can't switch BCAST mode on/off before disabling tracking for this client, and then "
            "re-enabling it with a different mode."
        )
    if bcast and (optin or optout):
        raise CommandError("OPTIN and OPTOUT are not compatible with BCAST")
    if optin and optout:
        raise CommandError("You can't specify both OPTIN mode and OPTOUT mode")
    if t is not None and ((optin and t.optout) or (optout and t.optin)):
        raise CommandError(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
            "re-enabling it with a different mode."
        )
    if bcast:
        _check_prefixes(sorted(t.prefixes) if t is not None else [], prefixes)
    tracking.enable(c, redirect, bcast, optin, optout, noloop, prefixes)
    return OK


def _prefix_text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _check_prefixes(existing: list[bytes], given: list[bytes]) -> None:
    """Two prefixes of one client overlap when one starts the other (both would cover a key)."""
    for i, p in enumerate(given):
        for old in existing:
            if old.startswith(p) or p.startswith(old):
                raise CommandError(
                    f"Prefix '{_prefix_text(p)}' overlaps with an existing prefix '{_prefix_text(old)}'. "
                    "Prefixes for a single client must not overlap."
                )
        for other in given[i + 1 :]:
            if other.startswith(p) or p.startswith(other):
                raise CommandError(
                    f"Prefix '{_prefix_text(p)}' overlaps with another provided prefix '{_prefix_text(other)}'. "
                    "Prefixes for a single client must not overlap."
                )


@command(
    "client|caching",
    3,
    flags="noscript loading stale",
    group="connection",
    since="6.0.0",
    summary="In OPTIN or OPTOUT tracking, choose whether the next command's keys are tracked.",
    complexity="O(1)",
    syntax="YES | NO",
)
def client_caching(c: Any, argv: list[bytes]) -> Any:
    t = c.tracking
    if t is None:
        raise CommandError(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
        )
    opt = argv[2].lower()
    if opt == b"yes":
        if not t.optin:
            raise CommandError("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif opt == b"no":
        if not t.optout:
            raise CommandError("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise errors.SYNTAX
    t.caching = True
    return OK


@command(
    "client|getredir",
    2,
    flags="noscript loading stale",
    group="connection",
    since="6.0.0",
    summary="Return the client that receives this connection's invalidation messages.",
    complexity="O(1)",
)
def client_getredir(c: Any, argv: list[bytes]) -> int:
    return c.tracking.redirect if c.tracking is not None else -1


@command(
    "client|trackinginfo",
    2,
    flags="noscript loading stale",
    group="connection",
    since="6.2.0",
    summary="Describe this connection's tracking mode, redirection and prefixes.",
    complexity="O(1)",
)
def client_trackinginfo(c: Any, argv: list[bytes]) -> Any:
    flags, redirect, prefixes = c.server.tracking.info(c)
    return Map([(b"flags", SetReply(flags)), (b"redirect", redirect), (b"prefixes", prefixes)])


@command(
    "client|help",
    2,
    flags="loading stale",
    group="connection",
    since="5.0.0",
    summary="Describe the CLIENT subcommands.",
    complexity="O(1)",
)
def client_help(c: Any, argv: list[bytes]) -> Any:
    return help_reply(HELP_LINES)
