"""Server commands against cacheserver and redis-server: INFO, SWAPDB, TIME, LASTSAVE, WAIT, SLOWLOG,
MONITOR, DEBUG, SHUTDOWN argument errors."""

from __future__ import annotations

import time

import pytest
import redis


def _info(raw, *sections) -> str:
    reply = raw.command("INFO", *sections)
    assert reply.startswith(b"$")
    return reply.split(b"\r\n", 1)[1].decode()


def test_info_default_sections_in_order(raw):
    text = _info(raw)
    headers = [line for line in text.split("\r\n") if line.startswith("#")]
    assert headers == [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Modules",
        "# Errorstats",
        "# Cluster",
        "# Keyspace",
    ]
    assert "\r\nredis_version:7.0.15\r\n" in text
    assert "\r\nredis_mode:standalone\r\n" in text
    assert "\r\narch_bits:64\r\n" in text
    assert "\r\nrole:master\r\n" in text
    assert "\r\ncluster_enabled:0\r\n" in text


def test_info_field_names_follow_redis(raw):
    text = _info(raw, "stats")
    names = [line.split(":")[0] for line in text.split("\r\n")[1:] if line]
    assert names[:6] == [
        "total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "total_net_repl_input_bytes",
    ]
    assert "keyspace_hits" in names and "total_error_replies" in names and "evicted_keys" in names


def test_info_sections_selection(raw):
    assert raw.command("INFO", "nosuchsection") == b"$0\r\n\r\n"
    text = _info(raw, "commandstats", "errorstats", "cluster")
    headers = [line for line in text.split("\r\n") if line.startswith("#")]
    assert headers == ["# Commandstats", "# Errorstats", "# Cluster"]
    everything = _info(raw, "everything")
    assert "# Commandstats" in everything and "# Modules" in everything


def test_info_keyspace_and_stats(raw):
    raw.command("SET", "a", "1")
    raw.command("SET", "b", "2", "EX", "100")
    raw.command("GET", "a")
    raw.command("GET", "nokey")
    assert _info(raw, "keyspace").startswith("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=")
    raw.command("CONFIG", "RESETSTAT")
    raw.command("GET", "a")
    raw.command("GET", "nokey")
    raw.command("NOSUCHCOMMAND")
    stats = _info(raw, "stats", "errorstats", "commandstats")
    assert "\r\nkeyspace_hits:1\r\n" in stats and "\r\nkeyspace_misses:1\r\n" in stats
    assert "\r\ntotal_error_replies:1\r\n" in stats
    assert "\r\nerrorstat_ERR:count=1\r\n" in stats
    assert "\r\ncmdstat_get:calls=2,usec=" in stats
    assert ",rejected_calls=0,failed_calls=0\r\n" in stats


def test_info_is_verbatim_in_resp3(target):
    with target.raw() as c:
        c.command("HELLO", "3")
        assert c.command("INFO", "cluster") == b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"


def test_swapdb(raw):
    assert raw.command("SWAPDB", "x", "0") == b"-ERR invalid first DB index\r\n"
    assert raw.command("SWAPDB", "0", "x") == b"-ERR invalid second DB index\r\n"
    assert raw.command("SWAPDB", "0", "99") == b"-ERR DB index is out of range\r\n"
    raw.command("SET", "k", "in0")
    assert raw.command("SWAPDB", "0", "1") == b"+OK\r\n"
    assert raw.command("GET", "k") == b"$-1\r\n"
    raw.command("SELECT", "1")
    assert raw.command("GET", "k") == b"$3\r\nin0\r\n"
    raw.command("SELECT", "0")


def test_time_lastsave_wait(raw):
    reply = raw.command("TIME")
    parts = reply.split(b"\r\n")
    assert parts[0] == b"*2" and abs(int(parts[2]) - time.time()) < 5
    assert raw.command("TIME", "x") == b"-ERR wrong number of arguments for 'time' command\r\n"
    assert raw.command("LASTSAVE").startswith(b":")
    assert raw.command("WAIT", "0", "0") == b":0\r\n"
    assert raw.command("WAIT", "x", "0") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("WAIT", "0", "-1") == b"-ERR timeout is negative\r\n"


def test_slowlog(raw):
    assert raw.command("SLOWLOG", "GET", "x") == b"-ERR count should be greater than or equal to -1\r\n"
    assert raw.command("SLOWLOG", "GET", "-5") == b"-ERR count should be greater than or equal to -1\r\n"
    assert raw.command("SLOWLOG", "FOO") == b"-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n"
    assert raw.command("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
    try:
        assert raw.command("SLOWLOG", "RESET") == b"+OK\r\n"
        raw.command("CLIENT", "SETNAME", "slowpoke")
        raw.command("ECHO", "hello")
        reply = raw.command("SLOWLOG", "GET", "1")
        assert reply.startswith(b"*1\r\n*6\r\n:")
        assert b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n" in reply
        assert reply.endswith(b"$8\r\nslowpoke\r\n")
        assert raw.command("SLOWLOG", "LEN").startswith(b":")
    finally:
        raw.command("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        raw.command("SLOWLOG", "RESET")


def test_monitor_lines(target):
    with target.raw() as mon, target.raw() as c:
        assert mon.command("MONITOR") == b"+OK\r\n"
        c.command("SELECT", "3")
        c.command("SET", "a b", 'x"y\n\x01')
        c.command("CONFIG", "GET", "maxmemory")  # admin commands are not shown
        c.command("ECHO", "done")
        lines = [mon.read_reply() for _ in range(3)]
        assert lines[0].startswith(b"+") and lines[0].endswith(b' "SELECT" "3"\r\n')
        assert lines[1].endswith(b'] "SET" "a b" "x\\"y\\n\\x01"\r\n')
        assert b" [3 127.0.0.1:" in lines[1]
        assert lines[2].endswith(b'] "ECHO" "done"\r\n')


def test_monitor_shows_scripts_and_the_commands_they_run(target):
    with target.raw() as mon, target.raw() as c:
        assert mon.command("MONITOR") == b"+OK\r\n"
        c.command("EVAL", "redis.call('select', '3') return redis.call('get', KEYS[1])", "1", "k")
        c.command("EVALSHA", "deadbeef", "0")  # refused (NOSCRIPT), still shown
        c.command("EVAL", "return redis.pcall('nosuch')", "0")  # a command refused in Lua is not shown
        c.command("ECHO", "done")
        lines = [mon.read_reply() for _ in range(6)]
        assert lines[0].endswith(b'] "EVAL" "redis.call(\'select\', \'3\') return redis.call(\'get\', KEYS[1])" "1" "k"\r\n')
        assert lines[1].endswith(b' [3 lua] "select" "3"\r\n')  # shown after it ran: in its database
        assert lines[2].endswith(b' [3 lua] "get" "k"\r\n')
        assert lines[3].endswith(b'] "EVALSHA" "deadbeef" "0"\r\n')
        assert lines[4].endswith(b'] "EVAL" "return redis.pcall(\'nosuch\')" "0"\r\n')
        assert lines[5].endswith(b'] "ECHO" "done"\r\n')


def test_debug(raw):
    raw.command("SET", "s", "hello")
    assert raw.command("DEBUG", "OBJECT", "nokey") == b"-ERR no such key\r\n"
    assert raw.command("DEBUG", "OBJECT", "s").startswith(b"+Value at:")
    assert b" encoding:embstr " in raw.command("DEBUG", "OBJECT", "s")
    assert raw.command("DEBUG", "ERROR", "BOOM went wrong") == b"-BOOM went wrong\r\n"
    assert raw.command("DEBUG", "SLEEP", "0") == b"+OK\r\n"
    assert raw.command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"+OK\r\n"
    assert raw.command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100") == b"+OK\r\n"
    assert raw.command("DEBUG", "FOO") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n"
    )
    raw.command("FLUSHALL")
    assert raw.command("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"
    assert raw.command("DEBUG", "DIGEST-VALUE", "nokey") == b"*1\r\n+" + b"0" * 40 + b"\r\n"


def test_debug_digest_changes_with_data(raw):
    raw.command("SET", "k", "v1")
    d1 = raw.command("DEBUG", "DIGEST")
    raw.command("SET", "k", "v2")
    assert raw.command("DEBUG", "DIGEST") != d1


def test_shutdown_argument_errors(raw):
    assert raw.command("SHUTDOWN", "FOO") == b"-ERR syntax error\r\n"
    assert raw.command("SHUTDOWN", "SAVE", "NOSAVE") == b"-ERR syntax error\r\n"
    assert raw.command("SHUTDOWN", "NOSAVE", "ABORT") == b"-ERR syntax error\r\n"
    assert raw.command("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"


@pytest.mark.parametrize("setting", ["no"])
def test_debug_disabled_text(setting):
    from helpers import RawConnection

    from cacheserver.testing import ServerThread

    with ServerThread(enable_debug_command=setting) as srv, RawConnection("127.0.0.1", srv.port) as c:
        assert c.command("DEBUG", "SLEEP", "0") == (
            b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run '
            b"it from a local connection, otherwise you need to set this option in the configuration file, and "
            b"then restart the server.\r\n"
        )


def test_debug_local_allows_loopback():
    from helpers import RawConnection

    from cacheserver.testing import ServerThread

    with ServerThread(enable_debug_command="local") as srv, RawConnection("127.0.0.1", srv.port) as c:
        assert c.command("DEBUG", "SLEEP", "0") == b"+OK\r\n"


def test_shutdown_closes_and_stops():
    from helpers import RawConnection

    from cacheserver.testing import ServerThread

    srv = ServerThread().start()
    with RawConnection("127.0.0.1", srv.port) as c:
        c.send(b"*1\r\n$8\r\nSHUTDOWN\r\n")
        assert c.is_closed() and c.buf == b""
    srv._thread.join(10)
    assert not srv._thread.is_alive()


def _hits_and_misses(r) -> tuple[int, int]:
    stats = r.info("stats")
    return stats["keyspace_hits"], stats["keyspace_misses"]


@pytest.mark.parametrize(
    "command, expected",
    [
        # Redis 7.0 reads the sources of the STORE variants too (hits and misses)
        (("SINTERSTORE", "d", "set", "nokey"), (1, 1)),
        (("SUNIONSTORE", "d", "set", "nokey"), (1, 1)),
        (("SDIFFSTORE", "d", "nokey", "set"), (1, 1)),
        # XREAD and XREADGROUP look every key up twice: once to check it, once to serve it
        (("XREAD", "STREAMS", "s", "nokey", "0", "0"), (2, 2)),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), (2, 0)),
        # XAUTOCLAIM reads its key before it parses its arguments
        (("XAUTOCLAIM", "nokey", "g", "c", "0", "0", "COUNT", "0"), (0, 1)),
        (("XAUTOCLAIM", "s", "g", "c", "0", "x"), (1, 0)),
    ],
)
def test_keyspace_hits_and_misses_per_command(r, command, expected):
    r.sadd("set", "a")
    r.xadd("s", {"f": "v"}, id="1-1")
    r.xgroup_create("s", "g", "0")
    r.config_resetstat()
    try:
        r.execute_command(*command)
    except redis.ResponseError:
        pass  # the lookups before an argument error count as well
    assert _hits_and_misses(r) == expected


def test_errorstats_code_of_an_error_without_one(r):
    # Redis counts an error by what precedes a space in its first 32 characters, else as ERR.
    r.config_resetstat()
    for script in ("return {err='plain'}", "return {err=''}", "return {err='" + "a" * 40 + " b'}",
                   "return {err='CODE text'}"):
        with pytest.raises(redis.ResponseError):
            r.eval(script, 0)
    errors = {k: v for k, v in r.info("errorstats").items()}
    assert errors == {"errorstat_ERR": {"count": 3}, "errorstat_CODE": {"count": 1}}


def test_role_and_the_cluster_connection_commands(raw, r3):
    # A master without replicas; the cluster-mode commands answer as a Redis without cluster support.
    assert raw.command("ROLE") == b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
    assert r3.role() == [b"master", 0, []]
    for name in ("READONLY", "READWRITE", "ASKING"):
        assert raw.command(name) == b"-ERR This instance has cluster support disabled\r\n"
    assert raw.command("READONLY", "x") == b"-ERR wrong number of arguments for 'readonly' command\r\n"
