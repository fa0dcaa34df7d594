"""CLIENT subcommands against cacheserver and redis-server (7.2-only ones against cacheserver alone)."""

from __future__ import annotations

import re
import threading
import time


def test_id_setname_getname(raw):
    assert raw.command("CLIENT", "ID").startswith(b":")
    assert raw.command("CLIENT", "GETNAME") == b"$-1\r\n"
    assert raw.command("CLIENT", "SETNAME", "worker-1") == b"+OK\r\n"
    assert raw.command("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    assert raw.command("CLIENT", "SETNAME", "a b") == (
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    )
    assert raw.command("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert raw.command("CLIENT", "GETNAME") == b"$-1\r\n"


def test_errors(raw):
    assert raw.command("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"
    assert raw.command("CLIENT", "FOO") == b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
    assert raw.command("CLIENT", "KILL") == b"-ERR wrong number of arguments for 'client|kill' command\r\n"
    assert raw.command("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
    assert raw.command("CLIENT", "KILL", "ID", "x") == b"-ERR client-id should be greater than 0\r\n"
    assert raw.command("CLIENT", "KILL", "ID", "999999") == b":0\r\n"
    assert raw.command("CLIENT", "KILL", "FOO", "bar") == b"-ERR syntax error\r\n"
    assert raw.command("CLIENT", "KILL", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert raw.command("CLIENT", "KILL", "USER", "nobody") == b"-ERR No such user 'nobody'\r\n"
    assert raw.command("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "maybe") == b"-ERR syntax error\r\n"
    assert raw.command("CLIENT", "LIST", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert raw.command("CLIENT", "LIST", "ID", "x") == b"-ERR Invalid client ID\r\n"
    assert raw.command("CLIENT", "LIST", "ID", "0", "-5") == b"$0\r\n\r\n"  # integers: IDs no client has
    assert raw.command("CLIENT", "LIST", "foo") == b"-ERR syntax error\r\n"
    assert raw.command("CLIENT", "REPLY", "maybe") == b"-ERR syntax error\r\n"
    assert raw.command("CLIENT", "PAUSE", "x") == b"-ERR timeout is not an integer or out of range\r\n"
    assert raw.command("CLIENT", "PAUSE", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.command("CLIENT", "PAUSE", "10", "foo") == b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    assert raw.command("CLIENT", "NO-EVICT", "maybe") == b"-ERR syntax error\r\n"
    assert raw.command("CLIENT", "INFO", "x") == b"-ERR wrong number of arguments for 'client|info' command\r\n"


def test_list_fields_in_order(target):
    with target.raw() as c:
        c.command("CLIENT", "SETNAME", "lister")
        reply = c.command("CLIENT", "LIST", "ID", c.command("CLIENT", "ID")[1:-2].decode())
    line = reply.split(b"\r\n", 1)[1].decode().strip()
    names = [kv.split("=", 1)[0] for kv in line.split(" ")]
    assert (
        names[:28]
        == [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp",
        ][:29]
    )
    assert " name=lister " in line
    assert " cmd=client|list " in line
    assert " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 " in line


def test_info_is_verbatim_in_resp3(target):
    with target.raw() as c:
        c.command("HELLO", "3")
        reply = c.command("CLIENT", "INFO")
        assert reply.startswith(b"=") and b"\r\ntxt:id=" in reply
        assert b" cmd=client|info " in reply and b" resp=3" in reply


def test_kill_by_id_and_addr(target):
    victim = target.raw()
    vid = victim.command("CLIENT", "ID")[1:-2].decode()
    with target.raw() as c:
        assert c.command("CLIENT", "KILL", "ID", vid) == b":1\r\n"
    assert victim.is_closed()
    victim.close()
    victim = target.raw()
    info = victim.command("CLIENT", "INFO").decode()
    addr = re.search(r" addr=(\S+) ", info).group(1)
    with target.raw() as c:
        assert c.command("CLIENT", "KILL", addr) == b"+OK\r\n"
    assert victim.is_closed()
    victim.close()


def test_kill_skipme(target):
    with target.raw() as c:
        cid = c.command("CLIENT", "ID")[1:-2].decode()
        assert c.command("CLIENT", "KILL", "ID", cid) == b":0\r\n"
        assert c.command("CLIENT", "KILL", "ID", cid, "SKIPME", "no") == b":1\r\n"
        assert c.is_closed()


def test_reply_off_skip_on(raw):
    raw.send(
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*1\r\n$4\r\nPING\r\n"
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n"
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n"
        b"*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n"
    )
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"$1\r\na\r\n"
    assert raw.read_reply() == b"$1\r\nc\r\n"


def test_pause_write_postpones_writes_until_unpause(target):
    with target.raw() as admin, target.raw() as writer:
        writer.command("DEL", "paused-key")
        assert admin.command("CLIENT", "PAUSE", "10000", "WRITE") == b"+OK\r\n"
        assert writer.command("GET", "paused-key") == b"$-1\r\n"  # reads still run
        writer.send(b"*3\r\n$3\r\nSET\r\n$10\r\npaused-key\r\n$1\r\n1\r\n")
        assert writer.is_closed(wait=0.3) is False and writer.buf == b""
        assert admin.command("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert writer.read_reply() == b"+OK\r\n"
        assert writer.command("GET", "paused-key") == b"$1\r\n1\r\n"


def test_pause_ends_at_timeout(target):
    with target.raw() as admin, target.raw() as other:
        assert admin.command("CLIENT", "PAUSE", "200", "ALL") == b"+OK\r\n"
        result = {}

        def ping() -> None:
            result["reply"] = other.command("PING")

        t = threading.Thread(target=ping)
        t.start()
        t.join(5)
        assert result["reply"] == b"+PONG\r\n"


def test_help_starts_like_redis(raw):
    reply = raw.command("CLIENT", "HELP")
    assert reply.startswith(b"*")
    assert b"+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" in reply
    assert b"+KILL <ip:port>\r\n" in reply


# -- Redis 7.2 additions (the reference server is 7.0.15): cacheserver only --------------------------


def test_setinfo_shows_in_list(ours):
    with ours.raw() as c:
        assert c.command("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == b"+OK\r\n"
        assert c.command("CLIENT", "SETINFO", "lib-ver", "8.1.0") == b"+OK\r\n"
        assert c.command("CLIENT", "SETINFO", "LIB-NAME", "a b") == (
            b"-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"
        )
        assert c.command("CLIENT", "SETINFO", "FOO", "x") == b"-ERR Unrecognized option 'FOO'\r\n"
        assert c.command("CLIENT", "INFO").rstrip().endswith(b" resp=2 lib-name=redis-py lib-ver=8.1.0")


def test_redis_py_connects_with_setinfo(ours):
    r = ours.client(protocol=3)
    assert r.ping() is True
    assert r.client_info()["lib-name"] == "redis-py"
    r.close()


def test_no_touch_keeps_access_stamp(ours, cacheserver_thread):
    with ours.raw() as c:
        c.command("SET", "nt-key", "v")
        db = cacheserver_thread.server.keyspace.dbs[0]
        cacheserver_thread.call(lambda: db.lru.__setitem__(b"nt-key", 7))
        assert c.command("CLIENT", "NO-TOUCH", "ON") == b"+OK\r\n"
        assert c.command("GET", "nt-key") == b"$1\r\nv\r\n"
        time.sleep(0.05)
        assert cacheserver_thread.call(lambda: db.lru[b"nt-key"]) == 7
        assert b" flags=T " in c.command("CLIENT", "INFO")
        c.command("TOUCH", "nt-key")
        c.command("CLIENT", "NO-TOUCH", "OFF")
        c.command("GET", "nt-key")
        assert cacheserver_thread.call(lambda: db.lru[b"nt-key"]) != 7
