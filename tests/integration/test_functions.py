"""FUNCTION and FCALL against both servers: library header, register_function forms and their errors,
read-only functions, LIST/STATS/DELETE/FLUSH, DUMP/RESTORE round trips. Expected values are Redis 7.0's."""

from __future__ import annotations

import pytest
import redis

# One session, in order, from FUNCTION FLUSH: each step's exact reply.
FUNCTION_SESSION = [
    (("FUNCTION", "FLUSH"), b"+OK\r\n"),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L0\nredis.register_function{function_name='f5', callback=function() end, flags={'bogus'}}",
        ),
        b"-ERR Error registering functions: ERR unknown flag given\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L1\nredis.register_function{function_name='f5', callback=function() end, foo=1}",
        ),
        b"-ERR Error registering functions: ERR unknown argument given to redis.register_function\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=L2\nredis.register_function{callback=function() end}"),
        b"-ERR Error registering functions: ERR redis.register_function must get a function name argument\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=L3\nredis.register_function{function_name='f5'}"),
        b"-ERR Error registering functions: ERR redis.register_function must get a callback argument\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=L4\nredis.register_function('a-b', function() end)"),
        b"-ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L5\nredis.register_function('ab', function() end) redis.register_function('ab', function() end)",
        ),
        b"-ERR Error registering functions: ERR Function already exists in the library\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L6\nredis.register_function{function_name='f5', callback=function() end, description=5}",
        ),
        b"$2\r\nL6\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L7\nredis.register_function{function_name='f5', callback=function() end, flags='no-writes'}",
        ),
        b"-ERR Error registering functions: ERR flags argument to redis.register_function must be a table representing function flags\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=L8\nredis.register_function{function_name=5, callback=function() end}"),
        b"$2\r\nL8\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=L9\nredis.register_function{function_name='f6', callback=5}"),
        b"-ERR Error registering functions: ERR callback argument given to redis.register_function must be a function\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=L10\nredis.register_function({}, function() end)"),
        b"-ERR Error registering functions: ERR first argument to redis.register_function must be a string\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L11\nredis.register_function{function_name='f7', callback=function() end, flags={5}}",
        ),
        b"-ERR Error registering functions: ERR unknown flag given\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L12\nlocal x = redis.setresp; redis.register_function('f8', function() return redis.call('ping') end)",
        ),
        b"-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'setresp'\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=L13\nredis.register_function('f9', function() return redis.register_function end)",
        ),
        b"$3\r\nL13\r\n",
    ),
    (("FCALL", "f8", "0"), b"-ERR Function not found\r\n"),
    (("FCALL", "f9", "0"), b"$-1\r\n"),
    (("FUNCTION", "FLUSH"), b"+OK\r\n"),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return redis.call('get', keys[1]) end)\nredis.register_function{function_name='f2', callback=function(keys,args) return args[1] end, flags={'no-writes'}, description='desc'}",
        ),
        b"$5\r\nmylib\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return 1 end)"),
        b"-ERR Library 'mylib' already exists\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "redis.register_function('f1', function(keys, args) return 1 end)"),
        b"-ERR Missing library metadata\r\n",
    ),
    (("FUNCTION", "LOAD", "#!lua name=lib2\nreturn 1"), b"-ERR No functions registered\r\n"),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f1', function() return 1 end)"),
        b"-ERR Function f1 already exists\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f3', function() return x end, {'no-writes'})"),
        b"-ERR Error registering functions: ERR wrong number of arguments to redis.register_function\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nredis.call('ping')"),
        b"-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nlocal a = ("),
        b"-ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4 engine=x\nredis.register_function('f5', function() return 1 end)"),
        b"-ERR Invalid metadata value given: engine=x\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!js name=lib4\nredis.register_function('f5', function() return 1 end)"),
        b"-ERR Engine 'js' not found\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua\nredis.register_function('f5', function() return 1 end)"),
        b"-ERR Library name was not given\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nx = 5"),
        b"-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function('f5', 5)"),
        b"-ERR Error registering functions: ERR second argument to redis.register_function must be a function\r\n",
    ),
    (("FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function(5, function() end)"), b"$4\r\nlib4\r\n"),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=lib4\nredis.register_function{function_name='f5', callback=function() end, flags={'bogus'}}",
        ),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=lib4\nredis.register_function{function_name='f5', callback=function() end, foo=1}",
        ),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function{callback=function() end}"),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function{function_name='f5'}"),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function('a-b', function() end)"),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        ("FUNCTION", "LOAD", "#!lua name=lib-3\nredis.register_function('ab', function() end)"),
        b"-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=lib4\nredis.register_function('ab', function() end) redis.register_function('ab', function() end)",
        ),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=lib4\nredis.register_function{function_name='f5', callback=function() end, description=5}",
        ),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (
        (
            "FUNCTION",
            "LOAD",
            "#!lua name=lib4\nredis.register_function{function_name='f5', callback=function() end, flags='no-writes'}",
        ),
        b"-ERR Library 'lib4' already exists\r\n",
    ),
    (("FCALL", "f1", "1", "k"), b"$-1\r\n"),
    (("FCALL", "f2", "0", "hello"), b"$5\r\nhello\r\n"),
    (("FCALL_RO", "f1", "1", "k"), b"-ERR Can not execute a script with write flag using *_ro command.\r\n"),
    (("FCALL", "nof", "0"), b"-ERR Function not found\r\n"),
    (("FCALL", "f1", "5", "k"), b"-ERR Number of keys can't be greater than number of args\r\n"),
    (("FCALL", "f1", "-1"), b"-ERR Number of keys can't be negative\r\n"),
    (("FCALL", "f1", "x"), b"-ERR Bad number of keys provided\r\n"),
    (("FCALL", "nof", "x"), b"-ERR Function not found\r\n"),
    (("FUNCTION", "LIST", "foo"), b"-ERR Unknown argument foo\r\n"),
    (("FUNCTION", "LIST", "LIBRARYNAME"), b"-ERR library name argument was not given\r\n"),
    (
        ("FUNCTION", "STATS"),
        b"*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n",
    ),
    (("FUNCTION", "DELETE", "nolib"), b"-ERR Library not found\r\n"),
    (("FUNCTION", "RESTORE", "garbage"), b"-ERR DUMP payload version or checksum are wrong\r\n"),
    (
        ("FUNCTION", "RESTORE", "garbage", "BAD"),
        b"-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n",
    ),
    (("FUNCTION", "KILL"), b"-NOTBUSY No scripts in execution right now.\r\n"),
    (("FUNCTION", "FLUSH", "x"), b"-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"),
    (("FUNCTION", "LOAD", "REPLACE"), b"-ERR Missing library metadata\r\n"),
    (("FUNCTION", "LOAD", "FOO", "code"), b"-ERR Unknown option given: FOO\r\n"),
]


def test_function_session(raw):
    for args, expected in FUNCTION_SESSION:
        assert (args, raw.command(*args)) == (args, expected)
    raw.command("FUNCTION", "FLUSH")


# While a library loads, its globals hold `redis` alone; every global is read-only then and when its
# functions run. (load-time statement, exact reply)
LOAD_READONLY_CASES = [
    ("x = 1", b"-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n"),
    (
        "rawset(_G, 'x', 1)",
        b"-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'rawset'\r\n",
    ),
    ("redis = nil", b"-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n"),
    (
        "local t = redis; t.call = 1",
        b"-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n",
    ),
    (
        "rawset(redis, 'x', 1)",
        b"-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'rawset'\r\n",
    ),
    (
        "local _ = pcall",
        b"-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'pcall'\r\n",
    ),
]


@pytest.mark.parametrize(
    "statement, expected", LOAD_READONLY_CASES, ids=[str(i) for i in range(len(LOAD_READONLY_CASES))]
)
def test_library_load_globals_are_read_only(raw, statement, expected):
    code = "#!lua name=bad\n%s\nredis.register_function('f', function() return 1 end)" % statement
    assert raw.command("FUNCTION", "LOAD", "REPLACE", code) == expected


# (function body, exact FCALL reply): function s<i> is on line i + 2 of the library.
FCALL_READONLY_CASES = [
    (
        "KEYS = 1 return 1",
        b"-ERR user_function:2: Attempt to modify a readonly table script: s0, on @user_function:2.\r\n",
    ),
    (
        "x = 1 return 1",
        b"-ERR user_function:3: Attempt to modify a readonly table script: s1, on @user_function:3.\r\n",
    ),
    ("rawset(_G, 'x', 1) return 1", b"-ERR Attempt to modify a readonly table script: s2, on @user_function:4.\r\n"),
    (
        "redis = nil return 1",
        b"-ERR user_function:5: Attempt to modify a readonly table script: s3, on @user_function:5.\r\n",
    ),
    (
        "rawset(redis, 'call', nil) return 1",
        b"-ERR Attempt to modify a readonly table script: s4, on @user_function:6.\r\n",
    ),
    (
        "rawset(string, 'x', 1) return 1",
        b"-ERR Attempt to modify a readonly table script: s5, on @user_function:7.\r\n",
    ),
    ("setmetatable(_G, nil) return 1", b"-ERR Attempt to modify a readonly table script: s6, on @user_function:8.\r\n"),
    ("table.insert(_G, 1) return 1", b"-ERR Attempt to modify a readonly table script: s7, on @user_function:9.\r\n"),
    ("local ok, e = pcall(rawset, _G, 'x', 1) return e", b"$34\r\nAttempt to modify a readonly table\r\n"),
    (
        "return {type(getmetatable(_G)), type(rawget(_G, 'redis')), tostring(rawget(_G, 'x')), tostring(rawget(_G, 1))}",
        b"*4\r\n$5\r\ntable\r\n$5\r\ntable\r\n$3\r\nnil\r\n$3\r\nnil\r\n",
    ),
    ("return {rawequal(_G, _G), rawequal(redis, _G.redis), rawequal(keys, keys)}", b"*3\r\n:1\r\n:1\r\n:1\r\n"),
    ("keys[1] = 'z' return keys[1]", b"$1\r\nz\r\n"),
    (
        "return KEYS",
        b"-ERR user_function:14: Script attempted to access nonexistent global variable 'KEYS' script: s12, on @user_function:14.\r\n",
    ),
    ("return _G", b"*0\r\n"),
]


def test_function_globals_are_read_only_and_keep_nothing(raw):
    raw.command("FUNCTION", "FLUSH")
    lib = "#!lua name=sbx\n" + "\n".join(
        "redis.register_function('s%d', function(keys, args) %s end)" % (i, body)
        for i, (body, _) in enumerate(FCALL_READONLY_CASES)
    )
    assert raw.command("FUNCTION", "LOAD", lib) == b"$3\r\nsbx\r\n"
    # Twice: a refused write in one call leaves nothing for the next.
    for _ in range(2):
        for i, (body, expected) in enumerate(FCALL_READONLY_CASES):
            assert (body, raw.command("FCALL", "s%d" % i, "1", "k")) == (body, expected)
    raw.command("FUNCTION", "FLUSH")


LIB = """#!lua name=counters
local function incr(keys, args) return redis.call('incrby', keys[1], args[1]) end
local function peek(keys, args) return redis.call('get', keys[1]) end
redis.register_function('c_incr', incr)
redis.register_function{function_name='c_peek', callback=peek, flags={'no-writes'}, description='read it'}
"""


@pytest.fixture
def lib(r):
    r.function_flush()
    assert r.function_load(LIB) == b"counters"
    yield r
    r.function_flush()


def test_fcall_and_fcall_ro(lib):
    assert lib.fcall("c_incr", 1, "n", 5) == 5
    assert lib.fcall("c_incr", 1, "n", 2) == 7
    assert lib.fcall_ro("c_peek", 1, "n") == b"7"
    with pytest.raises(redis.ResponseError, match="Can not execute a script with write flag using \\*_ro command"):
        lib.fcall_ro("c_incr", 1, "n", 1)


def test_load_replace_and_delete(lib):
    with pytest.raises(redis.ResponseError, match="Library 'counters' already exists"):
        lib.function_load(LIB)
    assert lib.function_load(LIB.replace("incrby", "decrby"), replace=True) == b"counters"
    assert lib.fcall("c_incr", 1, "n", 3) == -3
    assert lib.function_delete("counters") is True
    with pytest.raises(redis.ResponseError, match="Function not found"):
        lib.fcall("c_incr", 1, "n", 3)


def test_failed_load_changes_nothing(lib):
    bad = "#!lua name=other\nredis.register_function('c_incr', function() return 1 end)"
    with pytest.raises(redis.ResponseError, match="Function c_incr already exists"):
        lib.function_load(bad)
    assert [entry[b"library_name"] if isinstance(entry, dict) else entry[1] for entry in lib.function_list()] == [
        b"counters"
    ]


def test_dump_restore_round_trip(lib):
    payload = lib.function_dump()
    lib.function_flush()
    assert lib.function_restore(payload) is True
    assert lib.fcall("c_incr", 1, "n", 1) == 1
    with pytest.raises(redis.ResponseError, match="Library counters already exists"):
        lib.function_restore(payload)
    assert lib.function_restore(payload, "REPLACE") is True
    assert lib.function_restore(payload, "FLUSH") is True
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        lib.function_restore(payload[:-1] + bytes([payload[-1] ^ 1]))


def test_function_error_names_the_function(lib, raw):
    raw.command(
        "FUNCTION", "LOAD", "REPLACE", "#!lua name=errs\nredis.register_function('boom', function() return nope end)"
    )
    assert raw.command("FCALL", "boom", "0") == (
        b"-ERR user_function:2: Script attempted to access nonexistent global variable 'nope' script: boom, "
        b"on @user_function:2.\r\n"
    )
    assert raw.command("FCALL", "c_peek", "1") == b"-ERR Number of keys can't be greater than number of args\r\n"


def test_function_list_reply(raw):
    raw.command("FUNCTION", "FLUSH")
    code = "#!lua name=one\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}}"
    assert raw.command("FUNCTION", "LOAD", code) == b"$3\r\none\r\n"
    listing = (
        b"*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\none\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n"
        b"*6\r\n$4\r\nname\r\n$4\r\nonly\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*2\r\n+no-writes\r\n+allow-oom\r\n"
    )
    assert raw.command("FUNCTION", "LIST") == listing
    assert raw.command("FUNCTION", "LIST", "LIBRARYNAME", "o*") == listing
    assert raw.command("FUNCTION", "LIST", "LIBRARYNAME", "x*") == b"*0\r\n"
    with_code = raw.command("FUNCTION", "LIST", "WITHCODE")
    assert with_code.startswith(b"*1\r\n*8\r\n") and with_code.endswith(
        b"$12\r\nlibrary_code\r\n$%d\r\n%b\r\n" % (len(code), code.encode())
    )
    assert raw.command("FCALL_RO", "only", "0") == b":1\r\n"
    raw.command("FUNCTION", "FLUSH")


def test_function_names_ignore_case_library_names_do_not(raw):
    raw.command("FUNCTION", "FLUSH")
    assert raw.command("FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('f1', function() return 'a' end)") == b"$1\r\na\r\n"
    # a library name is its own, whatever the case; a function name is one for the whole server
    assert raw.command("FUNCTION", "LOAD", "#!lua name=A\nredis.register_function('g1', function() return 'A' end)") == b"$1\r\nA\r\n"
    assert raw.command("FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('F1', function() return 'b' end)") == (
        b"-ERR Function F1 already exists\r\n"
    )
    assert raw.command("FCALL", "F1", "0") == b"$1\r\na\r\n"
    assert raw.command("FCALL_RO", "G1", "0") == b"-ERR Can not execute a script with write flag using *_ro command.\r\n"
    # LIBRARYNAME matches without case
    listed = raw.command("FUNCTION", "LIST", "LIBRARYNAME", "[A]")
    assert listed.startswith(b"*2\r\n") and b"$1\r\na\r\n" in listed and b"$1\r\nA\r\n" in listed
    assert raw.command("FUNCTION", "DELETE", "a") == b"+OK\r\n"
    assert raw.command("FCALL", "f1", "0") == b"-ERR Function not found\r\n"
    assert raw.command("FCALL", "G1", "0") == b"$1\r\nA\r\n"
    raw.command("FUNCTION", "FLUSH")
