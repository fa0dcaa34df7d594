"""Blocking list commands with real concurrency, against cacheserver and redis-server.

One connection blocks (in a thread, on a raw socket so reply bytes are exact) while another pushes.
The helpers wait for the server to report the client as blocked before pushing, so order is certain.
"""

from __future__ import annotations

import time

from helpers import RawConnection, block, blocked_clients, encode_command, wait_blocked


def test_waiters_are_served_in_the_order_they_blocked(target, r):
    waiters = [block(target, r, "BLPOP", "q", "0") for _ in range(3)]
    assert r.rpush("q", "a", "b", "c") == 3
    assert [w.result() for w in waiters] == [
        b"*2\r\n$1\r\nq\r\n$1\r\na\r\n",
        b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n",
        b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n",
    ]
    assert r.exists("q") == 0
    assert blocked_clients(r) == 0


def test_one_push_serves_only_as_many_waiters_as_elements(target, r):
    first = block(target, r, "BRPOP", "q", "0")
    second = block(target, r, "BRPOP", "q", "0")
    r.lpush("q", "x")
    assert first.result() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    wait_blocked(r, 1)
    assert r.exists("q") == 0
    r.lpush("q", "y")
    assert second.result() == b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n"


def test_timeout_replies_null_array_after_the_timeout(target, r):
    with target.raw() as c:
        start = time.monotonic()
        assert c.command("BLPOP", "nokey", "0.2") == b"*-1\r\n"
        assert time.monotonic() - start >= 0.1
        assert c.command("BRPOP", "a", "b", "0.01") == b"*-1\r\n"
        assert c.command("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.01") == b"*-1\r\n"
        assert c.command("BRPOPLPUSH", "a", "b", "0.01") == b"*-1\r\n"
        assert c.command("BLMPOP", "0.01", "2", "a", "b", "LEFT", "COUNT", "3") == b"*-1\r\n"
        # A timeout below a millisecond is rounded up, not taken as "forever".
        assert c.command("BLPOP", "nokey", "0.0001") == b"*-1\r\n"
        assert c.command("HELLO", "3").startswith(b"%7")
        assert c.command("BLPOP", "nokey", "0.01") == b"_\r\n"
        assert c.command("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.01") == b"_\r\n"


def test_timeout_argument_errors(raw):
    assert raw.command("BLPOP", "k", "abc") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BLPOP", "k", "nan") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BLPOP", "k", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.command("BLPOP", "k", "-0.5") == b"-ERR timeout is negative\r\n"
    assert raw.command("BLPOP", "k", "inf") == b"-ERR timeout is negative\r\n"
    assert raw.command("BLPOP", "k", "1e20") == b"-ERR timeout is negative\r\n"
    assert raw.command("BLMOVE", "a", "b", "UP", "LEFT", "x") == b"-ERR syntax error\r\n"
    assert raw.command("BLMOVE", "a", "b", "LEFT", "LEFT", "x") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BLMPOP", "x", "0", "a", "LEFT") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("BLMPOP", "x", "1", "a", "LEFT") == b"-ERR timeout is not a float or out of range\r\n"
    # The timeout is read before the keys: a bad timeout wins over a wrong type.
    raw.command("SET", "s", "x")
    assert raw.command("BLPOP", "s", "abc") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BLPOP", "s", "0") == b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_fractional_timeout_is_honoured_while_others_push_elsewhere(target, r):
    waiter = block(target, r, "BLPOP", "q", "0.3")
    r.rpush("other", "x")
    assert waiter.result() == b"*-1\r\n"
    assert r.lrange("other", 0, -1) == [b"x"]


def test_blmove_destination_wakes_the_next_waiter(target, r):
    mover = block(target, r, "BLMOVE", "src", "mid", "RIGHT", "LEFT", "0")
    chained = block(target, r, "BLPOP", "mid", "0")
    r.rpush("src", "x")
    assert mover.result() == b"$1\r\nx\r\n"
    assert chained.result() == b"*2\r\n$3\r\nmid\r\n$1\r\nx\r\n"
    assert r.exists("src", "mid") == 0


def test_brpoplpush_chain_of_three(target, r):
    first = block(target, r, "BRPOPLPUSH", "a", "b", "0")
    second = block(target, r, "BRPOPLPUSH", "b", "c", "0")
    r.lpush("a", "v")
    assert first.result() == b"$1\r\nv\r\n"
    assert second.result() == b"$1\r\nv\r\n"
    assert r.lrange("c", 0, -1) == [b"v"]
    assert r.exists("a", "b") == 0


def test_blmove_onto_wrong_type_answers_wrongtype_and_keeps_the_element(target, r):
    mover = block(target, r, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
    r.set("dst", "string")
    r.rpush("src", "x")
    assert mover.result() == b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    assert r.lrange("src", 0, -1) == [b"x"]


def test_disconnect_while_blocked_loses_no_element(target, r):
    conn = RawConnection(target.host, target.port)
    conn.send(encode_command("BLPOP", "q", "0"))
    wait_blocked(r, 1)
    conn.close()
    wait_blocked(r, 0)
    assert r.rpush("q", "kept") == 1
    assert r.lrange("q", 0, -1) == [b"kept"]


def test_pipelined_commands_after_blpop_run_once_it_is_served(target, r):
    with target.raw() as c:
        c.send(encode_command("BLPOP", "q", "0") + encode_command("PING") + encode_command("LLEN", "done"))
        wait_blocked(r, 1)
        # The later requests are held: nothing has been pushed to "done" by them, nothing answered.
        r.rpush("done", "1")
        assert r.rpush("q", "v") == 1
        assert c.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"
        assert c.read_reply() == b"+PONG\r\n"
        assert c.read_reply() == b":1\r\n"


def test_server_answers_others_while_clients_are_blocked(target, r):
    waiters = [block(target, r, "BLPOP", f"q{i}", "0") for i in range(2)]
    for _ in range(3):
        assert r.ping() is True
        assert r.set("k", "v") is True
    assert blocked_clients(r) == 2
    r.rpush("q0", "a")
    r.rpush("q1", "b")
    assert [w.result() for w in waiters] == [b"*2\r\n$2\r\nq0\r\n$1\r\na\r\n", b"*2\r\n$2\r\nq1\r\n$1\r\nb\r\n"]


def test_multi_key_blpop_is_served_by_the_key_that_became_ready(target, r):
    waiter = block(target, r, "BLPOP", "a", "b", "c", "0")
    r.rpush("c", "from-c")
    assert waiter.result() == b"*2\r\n$1\r\nc\r\n$6\r\nfrom-c\r\n"
    r.rpush("b", "x")
    r.rpush("c", "y")
    with target.raw() as c:
        assert c.command("BLPOP", "a", "b", "c", "0") == b"*2\r\n$1\r\nb\r\n$1\r\nx\r\n"


def test_blmpop_served_with_count(target, r):
    waiter = block(target, r, "BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2")
    r.rpush("y", "1", "2", "3")
    assert waiter.result() == b"*2\r\n$1\r\ny\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    assert r.lrange("y", 0, -1) == [b"1"]


def test_key_created_by_rename_or_copy_wakes_the_waiter(target, r):
    waiter = block(target, r, "BLPOP", "q", "0")
    r.rpush("tmp", "a", "b")
    r.rename("tmp", "q")
    assert waiter.result() == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    waiter = block(target, r, "BRPOP", "q2", "0")
    r.copy("q", "q2")
    assert waiter.result() == b"*2\r\n$2\r\nq2\r\n$1\r\nb\r\n"


def test_waiter_stays_blocked_while_the_key_holds_another_type(target, r):
    waiter = block(target, r, "BLPOP", "q", "0")
    r.set("q", "string")
    r.delete("q")
    r.rpush("q", "v")
    assert waiter.result() == b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"


def test_client_unblock(target, r):
    for reason, expected in ((None, b"*-1\r\n"), ("TIMEOUT", b"*-1\r\n"),
                             ("ERROR", b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")):
        waiter = block(target, r, "BLPOP", "q", "0")
        ids = [c["id"] for c in r.client_list() if "b" in c["flags"]]
        assert len(ids) == 1
        args = ["CLIENT", "UNBLOCK", ids[0]] + ([reason] if reason else [])
        assert r.execute_command(*args) == 1
        assert waiter.result() == expected
    assert r.execute_command("CLIENT", "UNBLOCK", r.client_id()) == 0


def test_client_unblock_on_blmove_replies_null_array(target, r):
    waiter = block(target, r, "BLMOVE", "a", "b", "LEFT", "LEFT", "0")
    ids = [c["id"] for c in r.client_list() if "b" in c["flags"]]
    assert r.execute_command("CLIENT", "UNBLOCK", ids[0], "TIMEOUT") == 1
    assert waiter.result() == b"*-1\r\n"


def test_client_list_shows_the_blocked_flag(target, r):
    waiter = block(target, r, "BLPOP", "q", "0")
    flags = sorted(c["flags"] for c in r.client_list())
    assert "b" in flags
    r.rpush("q", "v")
    waiter.result()
    assert all("b" not in c["flags"] for c in r.client_list())


def test_blocking_commands_answer_at_once_when_data_is_there(raw):
    raw.command("RPUSH", "q", "a", "b", "c")
    assert raw.command("BLPOP", "nokey", "q", "0") == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    assert raw.command("BRPOP", "q", "0") == b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"
    assert raw.command("BLMOVE", "q", "d", "LEFT", "RIGHT", "0") == b"$1\r\nb\r\n"
    assert raw.command("EXISTS", "q") == b":0\r\n"
    assert raw.command("BRPOPLPUSH", "d", "q", "0") == b"$1\r\nb\r\n"
    assert raw.command("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5") == b"*2\r\n$1\r\nq\r\n*1\r\n$1\r\nb\r\n"


def test_inside_multi_blocking_commands_answer_at_once(raw):
    assert raw.command("MULTI") == b"+OK\r\n"
    for args in (("BLPOP", "q", "0"), ("BRPOPLPUSH", "q", "d", "0"), ("BLMOVE", "q", "d", "LEFT", "LEFT", "0"),
                 ("BLMPOP", "0", "1", "q", "LEFT")):
        assert raw.command(*args) == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"*4\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n"


def test_push_inside_multi_wakes_the_waiter_after_exec(target, r):
    waiter = block(target, r, "BLPOP", "q", "0")
    with target.raw() as c:
        c.command("MULTI")
        c.command("RPUSH", "q", "a")
        c.command("LPOP", "q")
        c.command("RPUSH", "q", "b")
        assert c.command("EXEC") == b"*3\r\n:1\r\n$1\r\na\r\n:1\r\n"
    assert waiter.result() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
