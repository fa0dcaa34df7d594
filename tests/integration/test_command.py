"""COMMAND and its subcommands against cacheserver and redis-server."""

from __future__ import annotations


def test_count_and_list(r):
    r.response_callbacks.clear()  # the raw replies, not redis-py's parsed COMMAND output
    names = r.execute_command("COMMAND", "LIST")  # subcommands included, COUNT counts commands only
    assert b"get" in names and b"config" in names and b"config|get" in names
    assert r.execute_command("COMMAND", "COUNT") == len([n for n in names if b"|" not in n])
    assert sorted(r.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*")) == [
        b"config|get",
        b"config|help",
        b"config|resetstat",
        b"config|rewrite",
        b"config|set",
    ]
    assert r.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch") == []


def test_info_get_exact(raw):
    assert raw.command("COMMAND", "INFO", "get") == (
        b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        b"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"
        b"*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
        b"$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
        b"*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
    )


def test_info_positions_for_cluster_clients(r):
    r.response_callbacks.clear()
    (set_info,) = r.execute_command("COMMAND", "INFO", "set")
    assert set_info[:6] == [b"set", -3, [b"write", b"denyoom"], 1, 1, 1]
    (unknown,) = r.execute_command("COMMAND", "INFO", "nosuchcommand")
    assert unknown is None
    (config,) = r.execute_command("COMMAND", "INFO", "config")
    assert config[:7] == [b"config", -2, [], 0, 0, 0, [b"@slow"]]
    subs = {entry[0]: entry for entry in config[9]}
    assert subs[b"config|get"][1:3] == [-3, [b"admin", b"noscript", b"loading", b"stale"]]
    assert subs[b"config|get"][6] == [b"@admin", b"@slow", b"@dangerous"]


def test_getkeys(raw):
    assert raw.command("COMMAND", "GETKEYS", "SET", "a", "b") == b"*1\r\n$1\r\na\r\n"
    assert raw.command("COMMAND", "GETKEYS", "NOSUCH", "a") == b"-ERR Invalid command specified\r\n"
    assert raw.command("COMMAND", "GETKEYS", "SET", "a") == (
        b"-ERR Invalid number of arguments specified for command\r\n"
    )
    assert raw.command("COMMAND", "GETKEYS", "GET") == (
        b"-ERR wrong number of arguments for 'command|getkeys' command\r\n"
    )
    assert raw.command("COMMAND", "GETKEYS", "PING", "x") == b"-ERR The command has no key arguments\r\n"
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "GET", "k") == (b"*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n")


def _flags_reply(*pairs: tuple[bytes, tuple[bytes, ...]]) -> bytes:
    out = b"*%d\r\n" % len(pairs)
    for key, flags in pairs:
        out += b"*2\r\n$%d\r\n%s\r\n*%d\r\n" % (len(key), key, len(flags)) + b"".join(b"+%s\r\n" % f for f in flags)
    return out


def test_getkeysandflags_follow_the_key_specs(raw):
    # Each key gets the flags of the key spec that found it, in key-spec order.
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "mylist1", "mylist2", "left", "left") == (
        b"*2\r\n*2\r\n$7\r\nmylist1\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"
        b"*2\r\n$7\r\nmylist2\r\n*2\r\n+RW\r\n+insert\r\n"
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "DEL", "a", "b") == _flags_reply(
        (b"a", (b"RM", b"delete")), (b"b", (b"RM", b"delete"))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "ZUNIONSTORE", "d", "2", "a", "b") == _flags_reply(
        (b"d", (b"OW", b"update")), (b"a", (b"RO", b"access")), (b"b", (b"RO", b"access"))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "EXISTS", "a") == _flags_reply((b"a", (b"RO",)))
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "EVAL", "s", "1", "a") == _flags_reply(
        (b"a", (b"RW", b"access", b"update"))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "GEORADIUS", "a", "1", "1", "1", "km", "STORE", "b") == (
        _flags_reply((b"a", (b"RO", b"access")), (b"b", (b"OW", b"update")))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0") == (
        _flags_reply((b"a", (b"RO", b"access")), (b"b", (b"RO", b"access")))
    )


def test_getkeysandflags_of_commands_with_variable_flags(raw):
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b") == _flags_reply((b"a", (b"OW", b"update")))
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b", "get") == (
        _flags_reply((b"a", (b"RW", b"access", b"update")))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "a", "GET", "u8", "0") == (
        _flags_reply((b"a", (b"RO", b"access")))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "a", "GET", "u8", "0", "SET", "u8", "0", "1") == (
        _flags_reply((b"a", (b"RW", b"access", b"update")))
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "SORT", "a", "BY", "b", "STORE", "c") == _flags_reply(
        (b"a", (b"RO", b"access")), (b"c", (b"OW", b"update"))
    )


def test_getkeys_errors_follow_the_key_specs(raw):
    assert raw.command("COMMAND", "GETKEYS", "EVAL", "s", "0") == b"*0\r\n"
    assert raw.command("COMMAND", "GETKEYS", "ZUNION", "0", "a") == (
        b"-ERR Invalid arguments specified for command\r\n"
    )
    assert raw.command("COMMAND", "GETKEYS", "SPUBLISH", "c", "m") == b"-ERR The command has no key arguments\r\n"


def test_docs_get(raw):
    reply = raw.command("COMMAND", "DOCS", "get")
    assert reply.startswith(b"*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n")
    assert reply.endswith(
        b"$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
        b"$14\r\nkey_spec_index\r\n:0\r\n"
    )


def test_docs_set_arguments_tree(r3):
    r3.response_callbacks.clear()
    args = r3.execute_command("COMMAND", "DOCS", "set")[b"set"][b"arguments"]
    assert [(a[b"name"], a[b"type"]) for a in args[:2]] == [(b"key", b"key"), (b"value", b"string")]
    assert args[2][b"type"] == b"oneof" and args[2][b"flags"] == [b"optional"]
    assert [a[b"token"] for a in args[2][b"arguments"]] == [b"NX", b"XX"]
    assert (
        args[3]
        == {b"name": b"get", b"type": b"pure-token", b"token": b"GET", b"since": b"6.2.0", b"flags": {b"optional"}}
        or args[3][b"token"] == b"GET"
    )
    expiration = args[4][b"arguments"]
    assert [(a[b"type"], a[b"token"]) for a in expiration] == [
        (b"integer", b"EX"),
        (b"integer", b"PX"),
        (b"unix-time", b"EXAT"),
        (b"unix-time", b"PXAT"),
        (b"pure-token", b"KEEPTTL"),
    ]


def test_docs_mset_block(r3):
    r3.response_callbacks.clear()
    docs = r3.execute_command("COMMAND", "DOCS", "mset")
    (arg,) = docs[b"mset"][b"arguments"]
    assert arg[b"name"] == b"key_value" and arg[b"type"] == b"block"
    assert [a[b"name"] for a in arg[b"arguments"]] == [b"key", b"value"]


def test_help_and_errors(raw):
    assert raw.command("COMMAND", "FOO") == b"-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"
    reply = raw.command("COMMAND", "HELP")
    assert b"+GETKEYSANDFLAGS <full-command>\r\n" in reply


def test_command_alone_lists_everything(r):
    r.response_callbacks.clear()
    everything = r.execute_command("COMMAND")
    assert len(everything) == r.execute_command("COMMAND", "COUNT")


def test_redis_py_cluster_key_parser(target):
    from redis._parsers.commands import CommandsParser

    r = target.client(decode_responses=True)
    parser = CommandsParser(r)
    assert parser.get_keys(r, "SET", "a", "b") == ["a"]
    assert parser.get_keys(r, "GET", "k") == ["k"]
    assert parser.get_keys(r, "CONFIG", "GET", "maxmemory") is None
    r.close()


def test_info_flags_tips_and_container_categories(r):
    r.response_callbacks.clear()
    info = {e[0]: e for e in r.execute_command("COMMAND", "INFO", "echo", "ping", "xpending", "pubsub", "xgroup", "xinfo")}
    assert info[b"echo"][2] == [b"loading", b"stale", b"fast"]
    assert info[b"ping"][7] == [b"request_policy:all_shards", b"response_policy:all_succeeded"]
    assert info[b"xpending"][7] == [b"nondeterministic_output"]
    assert [info[n][6] for n in (b"pubsub", b"xgroup", b"xinfo")] == [[b"@slow"]] * 3
    [pubsub_help] = r.execute_command("COMMAND", "INFO", "pubsub|help")
    assert pubsub_help[6] == [b"@slow"]
