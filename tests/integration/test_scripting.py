"""Scripting against both servers: EVAL family, SCRIPT, the Lua sandbox, RESP<->Lua conversion, busy
scripts and SCRIPT KILL. Every expected value below is Redis 7.0's own (each test runs on both servers)."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from helpers import encode_command

# (command, exact reply) on a flushed server. The error suffix names the script's SHA1 and line.
EVAL_CASES = [
    (
        ("EVAL", "return x", "0"),
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: 03c387736bb5cc009ff35151572cee04677aa374, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "x=1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 7caf6056913504f0508c65faf2dc3f94ff65bcfd, on @user_script:1.\r\n",
    ),
    (("EVAL", "return {1,2,3,nil,4}", "0"), b"*3\r\n:1\r\n:2\r\n:3\r\n"),
    (("EVAL", "return 3.99", "0"), b":3\r\n"),
    (("EVAL", "return true", "0"), b":1\r\n"),
    (("EVAL", "return false", "0"), b"$-1\r\n"),
    (("EVAL", "return {ok='fine'}", "0"), b"+fine\r\n"),
    (("EVAL", "return {err='bad thing'}", "0"), b"-bad thing\r\n"),
    (("EVAL", "return redis.error_reply('My Error')", "0"), b"-My Error\r\n"),
    (
        ("EVAL", "return redis.call('nosuch')", "0"),
        b"-ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('incr','k1','x')", "0"),
        b"-ERR Wrong number of args calling Redis command from script script: c66298cdaf2ee36db0597514f7bd765fe8321da3, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "redis.call('set','s','a'); return redis.call('incr','s')", "0"),
        b"-ERR value is not an integer or out of range script: 7572c3a6bcc858ccc3a3c4b2909d3d7abe587741, on @user_script:1.\r\n",
    ),
    (("EVAL", "return redis.pcall('incr','s')", "0"), b":1\r\n"),
    (
        ("EVAL", "return redis.call('multi')", "0"),
        b"-ERR This Redis command is not allowed from script script: c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "error('boom')", "0"),
        b"-ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.\r\n",
    ),
    (("EVAL", "error({err='X'})", "0"), b"-X script: 4fab0db337a2ae3e37d0970d9d0e563eeefba535, on @user_script:1.\r\n"),
    (("EVAL", "error()", "0"), b"-ERR nil script: aca90d914519fdb9825352bdc0befb59f7c8510f, on @user_script:1.\r\n"),
    (
        ("EVAL", "return (", "0"),
        b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n",
    ),
    (
        ("EVAL", "return redis.call()", "0"),
        b"-ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call({})", "0"),
        b"-ERR Lua redis lib command arguments must be strings or integers script: 80747816df1f4411f7c442b928fce6a814214839, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return _G.x", "0"),
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: a77ae67de163f975b1ed8463acc72469cf24a035, on @user_script:1.\r\n",
    ),
    (("EVAL", "return {1, {2, 3}, 'x', {ok='s'}}", "0"), b"*4\r\n:1\r\n*2\r\n:2\r\n:3\r\n$1\r\nx\r\n+s\r\n"),
    (
        ("EVAL", "return 'a' .. nil", "0"),
        b"-ERR user_script:1: attempt to concatenate a nil value script: a954e0524e4e64a9f26274ffcefea47159ca7c15, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local s = string; s.foo = 1; return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: d8240e46956a80bcabfd0c8231cd601047515b33, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "redis.foo = 1; return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 3c8274bc85301a96412bd6c9468292ecf9de20b8, on @user_script:1.\r\n",
    ),
    (("EVAL", "return loadstring('return 1')()", "0"), b":1\r\n"),
    (
        ("EVAL", "local ok, e = pcall(function() return x end) return e", "0"),
        b"$73\r\nuser_script:1: Script attempted to access nonexistent global variable 'x'\r\n",
    ),
    (("EVAL", "return redis.call('set','k',3.5) and redis.call('get','k')", "0"), b"$3\r\n3.5\r\n"),
    (("EVAL", "return redis.call('set','k',1e20) and redis.call('get','k')", "0"), b"$5\r\n1e+20\r\n"),
    (("EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "a", "b"), b"*4\r\n$1\r\na\r\n$1\r\nb\r\n:1\r\n:1\r\n"),
    (("EVAL", "return redis.call('get','nokey')", "0"), b"$-1\r\n"),
    (("EVAL", "return redis.call('ping')", "0"), b"+PONG\r\n"),
    (("EVAL", "return redis.call('hgetall','nokey')", "0"), b"*0\r\n"),
    (("EVAL", "return type(redis.call('get','nokey'))", "0"), b"$7\r\nboolean\r\n"),
    (("EVAL", "redis.setresp(3); return type(redis.call('get','nokey'))", "0"), b"$3\r\nnil\r\n"),
    (
        ("EVAL", "return cjson.decode('bad')", "0"),
        b"-ERR user_script:1: Expected value but found invalid token at character 1 script: 48e1071111c72ca96a9dbc4e9797edfeb3eb2d75, on @user_script:1.\r\n",
    ),
    (("EVAL", "return cjson.encode({a={1,2},b=cjson.null})", "0"), b'$20\r\n{"a":[1,2],"b":null}\r\n'),
    (("EVAL", "return cjson.encode('a\"b/\\1')", "0"), b'$14\r\n"a\\"b\\/\\u0001"\r\n'),
    (("EVAL", "return cjson.encode(1/3)", "0"), b"$16\r\n0.33333333333333\r\n"),
    (("EVAL", "return cmsgpack.pack({1,2,3})", "0"), b"$4\r\n\x93\x01\x02\x03\r\n"),
    (("EVAL", "return cmsgpack.unpack(cmsgpack.pack({1,'a',{x=1}}))", "0"), b"*3\r\n:1\r\n$1\r\na\r\n*0\r\n"),
    (("EVAL", "return struct.pack('>I2', 258)", "0"), b"$2\r\n\x01\x02\r\n"),
    (("EVAL", "return {struct.unpack('>I2', 'ab')}", "0"), b"*2\r\n:24930\r\n:3\r\n"),
    (
        (
            "EVAL",
            "return {bit.tobit(0xffffffff), bit.bnot(0), bit.lshift(1,31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(1, 33), bit.bswap(0x12345678), bit.tohex(-1), bit.tohex(255, -4), bit.bor(1,2,4)}",
            "0",
        ),
        b"*10\r\n:-1\r\n:-1\r\n:-2147483648\r\n:15\r\n:-16\r\n:2\r\n:2018915346\r\n$8\r\nffffffff\r\n$4\r\n00FF\r\n:7\r\n",
    ),
    (
        ("EVAL", "return redis.setresp(4)", "0"),
        b"-ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.log(99, 'hi')", "0"),
        b"-ERR Invalid debug level. script: 8005b92c707418d29a29c3b0ea21b985a97a3de7, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.sha1hex()", "0"),
        b"-ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.\r\n",
    ),
    (("EVAL", "return redis.status_reply()", "0"), b"-ERR wrong number or type of arguments\r\n"),
    (("EVAL", "return redis.error_reply('-WRONG x')", "0"), b"-WRONG x\r\n"),
    (
        ("EVAL", "return redis.set_repl(99)", "0"),
        b"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: fae934173b6296d6836d5d5f52e192640f8897d9, on @user_script:1.\r\n",
    ),
    (
        ("EVAL_RO", "return redis.call('set','a','b')", "0"),
        b"-ERR Write commands are not allowed from read-only scripts. script: ff967d0ae0e68b4f9e360fa91c54598bc25ad9b6, on @user_script:1.\r\n",
    ),
    (
        ("EVAL_RO", "return redis.pcall('set','a','b')", "0"),
        b"-ERR Write commands are not allowed from read-only scripts.\r\n",
    ),
    (
        ("EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"),
        b"-ERR Write commands are not allowed from read-only scripts. script: 6acb400a50fe96e33eca4e0af6e9dcfb21193726, on @user_script:2.\r\n",
    ),
    (("EVAL", "#!lua flags=bad\nreturn 1", "0"), b"-ERR Unexpected flag in script shebang: bad\r\n"),
    (("EVAL", "#!lua name=x\nreturn 1", "0"), b"-ERR Unknown lua shebang option: name=x\r\n"),
    (("EVALSHA", "0000", "0"), b"-NOSCRIPT No matching script. Please use EVAL.\r\n"),
    (("EVAL", "return 1", "2", "a"), b"-ERR Number of keys can't be greater than number of args\r\n"),
    (("EVAL", "return 1", "-1"), b"-ERR Number of keys can't be negative\r\n"),
    (("EVAL", "return 1", "x"), b"-ERR value is not an integer or out of range\r\n"),
    (
        ("EVAL", "return redis.call('blpop','nolist',0)", "0"),
        b"-ERR This Redis command is not allowed from script script: abca6f0af300bbde50e15c9226201a7d087652cf, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return {redis.call('lpush','l','a','b'), redis.call('lrange','l',0,-1)}", "0"),
        b"*2\r\n:2\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n",
    ),
    (
        ("EVAL", "return redis.call('zadd','z',1.5,'m') and redis.call('zrange','z',0,-1,'withscores')", "0"),
        b"*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n",
    ),
    (("EVAL", "redis.setresp(3) return redis.call('zrange','z',0,-1,'withscores')", "0"), b"*0\r\n"),
    (("EVAL", "redis.setresp(3) return redis.call('zscore','z','m')", "0"), b"$-1\r\n"),
    (("EVAL", "return redis.call('zscore','z','m')", "0"), b"$-1\r\n"),
    (
        ("EVAL", "return tostring(1e15) .. ' ' .. tostring(123456789012345)", "0"),
        b"$25\r\n1e+15 1.2345678901234e+14\r\n",
    ),
    (
        ("EVAL", "redis.call('set','n', 123456789012345) return redis.call('get','n')", "0"),
        b"$15\r\n123456789012345\r\n",
    ),
    (("EVAL", "return pcall(redis.call, 'nosuch')", "0"), b"$-1\r\n"),
    (("EVAL", "local t = {} t[1]='a' t[2]=false t[3]='c' return t", "0"), b"*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n"),
    (("EVAL", "return {1, 2.7, -3.2, 'x'}", "0"), b"*4\r\n:1\r\n:2\r\n:-3\r\n$1\r\nx\r\n"),
    (("EVAL", "return redis.sha1hex('abc')", "0"), b"$40\r\na9993e364706816aba3e25717850c26c9cd0d89d\r\n"),
    (("EVAL", "return redis.REDIS_VERSION", "0"), b"$6\r\n7.0.15\r\n"),
    (
        ("EVAL", "redis.call('set','s','a') return redis.pcall('incr','s')", "0"),
        b"-ERR value is not an integer or out of range\r\n",
    ),
    (
        ("EVAL", "redis.call('set','a','1') error('halfway')", "0"),
        b"-ERR user_script:1: halfway script: f926528877967b4b7ccd22b2ddbbac5c285a0ea6, on @user_script:1.\r\n",
    ),
    (("EVAL", "return redis.call('hset','h','a','1')", "0"), b":1\r\n"),
    (("EVAL", "redis.call('hset','h','a','1') return redis.call('hgetall','h')", "0"), b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (
        ("EVAL", "redis.call('hset','h','a','1') redis.setresp(3) return redis.call('hgetall','h')", "0"),
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        ("EVAL", "redis.call('sadd','s','x') redis.setresp(3) return redis.call('smembers','s')", "0"),
        b"*1\r\n$1\r\nx\r\n",
    ),
    (("EVAL", "redis.setresp(3) return redis.call('get','nokey') == nil", "0"), b":1\r\n"),
    (("EVAL", "return {map={a=1}}", "0"), b"*2\r\n$1\r\na\r\n:1\r\n"),
    (("EVAL", "return {double=3.5}", "0"), b"$3\r\n3.5\r\n"),
    (("EVAL", "return {set={a=true}}", "0"), b"*1\r\n$1\r\na\r\n"),
    (("EVAL", "return {big_number='123'}", "0"), b"$3\r\n123\r\n"),
    (("EVAL", "return {ok='a\\r\\nb'}", "0"), b"+a  b\r\n"),
    (("EVAL", "return {err='My\\nError'}", "0"), b"-My Error\r\n"),
    (("EVAL", "return redis.error_reply('Single')", "0"), b"-ERR Single\r\n"),
    (("EVAL", "return {1,{err='inner'},3}", "0"), b"*3\r\n:1\r\n-inner\r\n:3\r\n"),
    (("EVAL", "return nil", "0"), b"$-1\r\n"),
    (("EVAL", "return", "0"), b"$-1\r\n"),
    (("EVAL", "return function() end", "0"), b"$-1\r\n"),
    (("EVAL", "return 1e300", "0"), b":-9223372036854775808\r\n"),
    (("EVAL", "return -0.5", "0"), b":0\r\n"),
    (("EVAL", "return redis.call('select','1') and redis.call('set','x','in1')", "0"), b"+OK\r\n"),
    (("EVAL", "return redis.call('get','x')", "0"), b"$-1\r\n"),
    (("EVAL", "return redis.call('get','k')", "1", "k"), b"$-1\r\n"),
    (
        ("EVAL", "return {KEYS[1], KEYS[2], ARGV[1]}", "2", "k1", "k2", "a1"),
        b"*3\r\n$2\r\nk1\r\n$2\r\nk2\r\n$2\r\na1\r\n",
    ),
    (
        ("EVAL", "return redis.call('blpop','nolist','0')", "0"),
        b"-ERR This Redis command is not allowed from script script: e1756cc4bfe98195c8420a7d606591965592a8ea, on @user_script:1.\r\n",
    ),
    (("EVAL", "return redis.call('lpush','l','x') and redis.call('rpoplpush','l','l2')", "0"), b"$1\r\nx\r\n"),
    (
        ("EVAL", "return tostring(os)", "0"),
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: 19abc3a3c6e39bcbd69db9d57d6fd72cc4fcc793, on @user_script:1.\r\n",
    ),
    (("EVAL", "return type(cjson.null)", "0"), b"$8\r\nuserdata\r\n"),
    (
        ("EVAL", 'return cjson.encode(cjson.decode(\'{"a":[1,2,{"b":null}],"c":"\\\\u00e9"}\'))', "0"),
        b'$31\r\n{"a":[1,2,{"b":null}],"c":"\xc3\xa9"}\r\n',
    ),
    (("EVAL", "return cjson.decode('[1,2,3]')[3]", "0"), b":3\r\n"),
    (("EVAL", "return pcall(cjson.decode, '{')", "0"), b"$-1\r\n"),
    (
        ("EVAL", "local ok, e = pcall(cjson.decode, '{') return e", "0"),
        b"$57\r\nExpected object key string but found T_END at character 2\r\n",
    ),
    (
        ("EVAL", "local ok, e = pcall(redis.call, 'nosuch') return e", "0"),
        b"$44\r\nERR Unknown Redis command called from script\r\n",
    ),
    (("EVAL", "local ok, e = pcall(error, 'x') return e", "0"), b"$1\r\nx\r\n"),
    (("EVAL", "local ok, e = pcall(error, {err='tbl'}) return e", "0"), b"$3\r\ntbl\r\n"),
    (("EVAL", "return struct.size('>iHb')", "0"), b":7\r\n"),
    (("EVAL", "return struct.pack('<i4s', -2, 'ab')", "0"), b"$7\r\n\xfe\xff\xff\xffab\x00\r\n"),
    (
        ("EVAL", "return {struct.unpack('<i4s', struct.pack('<i4s', -2, 'ab'))}", "0"),
        b"*3\r\n:-2\r\n$2\r\nab\r\n:8\r\n",
    ),
    (("EVAL", "return cmsgpack.pack({a=1})", "0"), b"$4\r\n\x81\xa1a\x01\r\n"),
    (
        ("EVAL", "return cmsgpack.pack('hello', 300, -5, 70000, true, 1.5)", "0"),
        b"$21\r\n\xa5hello\xcd\x01,\xfb\xce\x00\x01\x11p\xc3\xca?\xc0\x00\x00\r\n",
    ),
    (
        ("EVAL", "return {cmsgpack.unpack(cmsgpack.pack('hello', 300, -5, 70000, true))}", "0"),
        b"*5\r\n$5\r\nhello\r\n:300\r\n:-5\r\n:70000\r\n:1\r\n",
    ),
    (("EVAL", "return bit.bxor(5, 3)", "0"), b":6\r\n"),
    (("EVAL", "return redis.sha1hex(42)", "0"), b"$40\r\n92cfceb39d57d914ed8b14d0e37643de0797ae56\r\n"),
    (("EVAL", "return redis.status_reply('OK')", "0"), b"+OK\r\n"),
    (("EVAL", "return string.format('%d-%s', 5, 'x')", "0"), b"$3\r\n5-x\r\n"),
    (("EVAL", "return table.concat({'a','b'}, ',')", "0"), b"$3\r\na,b\r\n"),
    (("EVAL", "return math.floor(3.7)", "0"), b":3\r\n"),
    (("EVAL", "return redis.call('ping', 'x')", "0"), b"$1\r\nx\r\n"),
    (("EVAL", "return redis.call('PING')", "0"), b"+PONG\r\n"),
    (
        ("EVAL", "return redis.call('config','get','maxmemory-policy')", "0"),
        b"-ERR This Redis command is not allowed from script script: d8faad5b2ebd118c5914196ac634ed3ae89c6e30, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('object')", "0"),
        b"-ERR Wrong number of args calling Redis command from script script: 26deaca16991823793a5afb3896b485575b3b060, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('object','nosuch')", "0"),
        b"-ERR Unknown Redis command called from script script: 34e51292dbc22d39355a85b807f0a2f4510a3c58, on @user_script:1.\r\n",
    ),
    (("EVAL", "return redis.call('time') and 1", "0"), b":1\r\n"),
    (("EVAL", "return #redis.call('time')", "0"), b":2\r\n"),
    (
        ("EVAL", "return redis.call('debug','sleep','0')", "0"),
        b"-ERR This Redis command is not allowed from script script: 3ab121bfba97ea652249c19f202e9d69a51d0cbf, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('subscribe','x')", "0"),
        b"-ERR This Redis command is not allowed from script script: 2f334966be3d5602175118691c9d198b0a695e53, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('script','load','return 1')", "0"),
        b"-ERR This Redis command is not allowed from script script: e884fdd1089d33f7e88d638d04f7355ac44786c2, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('fcall','x','0')", "0"),
        b"-ERR This Redis command is not allowed from script script: da5b2bf721b6a466176414eeda9c07b97f18e5d4, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('watch','x')", "0"),
        b"-ERR This Redis command is not allowed from script script: 9a1a35c05e04d2ab477f9ffcb999995832000a6d, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return redis.call('client','id')", "0"),
        b"-ERR This Redis command is not allowed from script script: 6b57691688c1a59f07a7665ec9d907a922123bf8, on @user_script:1.\r\n",
    ),
]


@pytest.mark.parametrize("args, expected", EVAL_CASES, ids=[str(i) for i in range(len(EVAL_CASES))])
def test_eval_reply(raw, args, expected):
    assert raw.command(*args) == expected


# Redis 7.0's read-only globals: KEYS/ARGV and every global are read-only (KEYS's own items are not),
# rawset/setmetatable/table.insert refuse a protected table with an unpositioned error, raw reads and
# getmetatable see what Redis's real tables hold, and argument errors of the raw functions are Lua's.
SANDBOX_CASES = [
    (
        ("EVAL", "KEYS = 1 return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: cf3658db9bf63056ae81b91abf77a70a64be0724, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "ARGV = {} return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 16385017fe686a57e841c85a1b9a6ebb8d3836ef, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(_G, 'x', 1) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: e068097f82e9f4a7bbf2d39eb91f78fec91f9301, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(_G, 'KEYS', 1) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: e39c04eafc472a1715bf75dd0841b7440e89c83b, on @user_script:1.\r\n",
    ),
    (("EVAL", "KEYS[1] = 'a' return KEYS[1]", "0"), b"$1\r\na\r\n"),
    (("EVAL", "rawset(KEYS, 1, 'z') return KEYS[1]", "1", "k"), b"$1\r\nz\r\n"),
    (
        ("EVAL", "return {rawget(_G, 'KEYS')[1], rawget(_G, 'ARGV')[1], _G.KEYS[1]}", "1", "k1", "a1"),
        b"*3\r\n$2\r\nk1\r\n$2\r\na1\r\n$2\r\nk1\r\n",
    ),
    (
        ("EVAL", "return {rawequal(KEYS, rawget(_G, 'KEYS')), rawequal(_G, _G), rawequal(rawget(_G, '_G'), _G)}", "0"),
        b"*3\r\n:1\r\n:1\r\n:1\r\n",
    ),
    (
        ("EVAL", "return {type(rawget(_G, 'redis')), type(rawget(_G, 'rawset')), type(rawget(string, 'len'))}", "0"),
        b"*3\r\n$5\r\ntable\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n",
    ),
    (("EVAL", "return rawget(_G, 'nosuch')", "0"), b"$-1\r\n"),
    (
        ("EVAL", "setmetatable(_G, nil) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: c122f21771d632cc334af0c2a37dd028f1a230b7, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "setmetatable(string, {}) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: 460ef3ca0e82c412bb55aac2214159067111a074, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "return {type(getmetatable(_G)), type(getmetatable(string)), type(getmetatable(redis))}", "0"),
        b"*3\r\n$5\r\ntable\r\n$3\r\nnil\r\n$3\r\nnil\r\n",
    ),
    (
        ("EVAL", "getmetatable(_G).__index = nil return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 8b697a7d04513b7155ae0229e14327f666382836, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(getmetatable(_G), '__newindex', nil) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: 3866147127816dcd045f31d3db2a369388e1b4ed, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local x = getmetatable(_G).__index('nope') return x", "0"),
        b"-ERR user_script:1: Wrong number of arguments to luaProtectedTableError script: ba1e1b8b0cd3c1970931f8d1b58713b0783ceab2, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(redis, 'call', nil) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: 1965afd96b85b4809388373fdab592b22196569c, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(string, 'x', 1) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: 425ba6b83a9802b8090705867c60db850b893e14, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(cjson, 'x', 1) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: c27e3e401882bc6901b59d84e1bb6fcdcbd34cbe, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "table.insert(_G, 1) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: cb24c26d2d744fa7f1983d99c333fd82dc0323c1, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "table.insert(math, 'x', 1) return 1", "0"),
        b"-ERR user_script:1: bad argument #2 to 'insert' (number expected, got string) script: c142fe29e2f981e686ebb5dfba827d699a5e32a6, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "getmetatable('').__index = nil return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 25ae685d43b673ffb5e7b16d3f30d827aa2e3cee, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "getmetatable('').__index.upper = nil return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: ac075ac18a268146edb19e945f6c06d3e450c70a, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset(getmetatable(''), 'x', 1) return 1", "0"),
        b"-ERR Attempt to modify a readonly table script: bef54db92b2dd9dcd096e64161fcbfdea141ac38, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local ok, e = pcall(rawset, _G, 'x', 1) return e", "0"),
        b"$34\r\nAttempt to modify a readonly table\r\n",
    ),
    (
        ("EVAL", "local ok, e = pcall(function() KEYS = 1 end) return e", "0"),
        b"$49\r\nuser_script:1: Attempt to modify a readonly table\r\n",
    ),
    (
        ("EVAL", "local f = loadstring('ARGV = 1') f() return 1", "0"),
        b'-ERR [string "ARGV = 1"]:1: Attempt to modify a readonly table script: f0f98e2ecc26c8584c795253ab0a459a80178485, on ARGV = 1:1.\r\n',
    ),
    (
        ("EVAL", "tostring = nil return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 2f734894efbeac1ff0885bbf2b8f9d4e4bf36729, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local t = redis; t.call = nil return 1", "0"),
        b"-ERR user_script:1: Attempt to modify a readonly table script: 589b0869b7449ea70e5f0f18c83f69a380476bcd, on @user_script:1.\r\n",
    ),
    (("EVAL", "return _G", "0"), b"*0\r\n"),
    (("EVAL", "return pcall(rawset, _G, 'x', 1)", "0"), b"$-1\r\n"),
    (("EVAL", "local n = 0 for k in pairs(string) do n = n + 1 end return n", "0"), b":15\r\n"),
    (
        ("EVAL", "rawset(1, 2, 3) return 1", "0"),
        b"-ERR user_script:1: bad argument #1 to 'rawset' (table expected, got number) script: d0d50d8b38ad0de964dddd08968ed620990352c1, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "rawset({}, 'k') return 1", "0"),
        b"-ERR user_script:1: bad argument #3 to 'rawset' (value expected) script: f69edf4f483dd161b96508c1e0d7a0cf74d69d63, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local x = rawget(nil, 1) return x", "0"),
        b"-ERR user_script:1: bad argument #1 to 'rawget' (table expected, got nil) script: 4708103380eaceb17d55b4ac04194c56d9f8b60f, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "setmetatable({}, 1) return 1", "0"),
        b"-ERR user_script:1: bad argument #2 to 'setmetatable' (nil or table expected) script: a17156c3b38b4cafee357229e1c442b1c765cc7c, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local t = setmetatable({}, {__metatable = 1}) setmetatable(t, {}) return 1", "0"),
        b"-ERR user_script:1: cannot change a protected metatable script: 93f3b58c1484df72274062130710b4455b4c72f5, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "table.insert(nil, 1) return 1", "0"),
        b"-ERR user_script:1: bad argument #1 to 'insert' (table expected, got nil) script: 3dcab8a24d96fb02f4a647db1a268c4e54cb5cf5, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "table.insert({}, 1, 2, 3) return 1", "0"),
        b"-ERR user_script:1: wrong number of arguments to 'insert' script: 91c55390e05d6c32756c105fffa153a1da8db3cd, on @user_script:1.\r\n",
    ),
    (
        ("EVAL", "local t = {'b'} table.insert(t, 1, 'a') table.insert(t, 'c') return t", "0"),
        b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    ),
    (
        (
            "EVAL",
            "local t = setmetatable({}, {__index = {x = 1}}) rawset(t, 'y', 2) return {t.x, rawget(t, 'y'), next({5})}",
            "0",
        ),
        b"*4\r\n:1\r\n:2\r\n:1\r\n:5\r\n",
    ),
    # EVAL's error handler is a global scripts can see and call
    (
        ("EVAL", "local t = __redis__err__handler(5) return {type(__redis__err__handler), t.err, t.source, t.line}", "0"),
        b"*4\r\n$8\r\nfunction\r\n$5\r\nERR 5\r\n$12\r\n@user_script\r\n:1\r\n",
    ),
]


@pytest.mark.parametrize("args, expected", SANDBOX_CASES, ids=[str(i) for i in range(len(SANDBOX_CASES))])
def test_eval_readonly_globals(raw, args, expected):
    assert raw.command(*args) == expected


def test_refused_writes_leave_nothing_for_the_next_script(raw):
    # Each attempt fails, and the next script sees the sandbox as it was: no global, no array item, no
    # string method taken away.
    attempts = [
        "rawset(_G, 'leak', 1)",
        "table.insert(_G, 'leak')",
        "rawset(string, 'leak', 1)",
        "getmetatable('').__index = nil",
        "rawset(getmetatable(''), '__index', nil)",
        "setmetatable(_G, nil)",
    ]
    for body in attempts:
        assert raw.command("EVAL", "pcall(function() %s end) return 1" % body, "0") == b":1\r\n"
    assert raw.command("EVAL", "return leak", "0") == (
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'leak' "
        b"script: e3339d19af770f82ca3b88d5bd51d26ba1ad5af5, on @user_script:1.\r\n"
    )
    assert raw.command("EVAL", "leak = 1 return 1", "0") == (
        b"-ERR user_script:1: Attempt to modify a readonly table "
        b"script: 1c684867950279c5e528f934f53753a22644f3d4, on @user_script:1.\r\n"
    )
    assert raw.command("EVAL", "return {tostring(rawget(_G, 1)), tostring(rawget(string, 'leak'))}", "0") == (
        b"*2\r\n$3\r\nnil\r\n$3\r\nnil\r\n"
    )
    assert raw.command("EVAL", "return ('a'):upper()", "0") == b"$1\r\nA\r\n"
    assert raw.command("EVAL", "return type(getmetatable(_G))", "0") == b"$5\r\ntable\r\n"


def test_keys_and_argv_are_each_runs_own(raw):
    # A script's writes into KEYS/ARGV stay in its run: the next run gets fresh tables.
    body = "local old = KEYS[2] KEYS[2] = 'x' ARGV[1] = 'y' return {#KEYS, tostring(old), #ARGV}"
    expected = b"*3\r\n:2\r\n$3\r\nnil\r\n:1\r\n"
    assert raw.command("EVAL", body, "1", "k") == expected
    assert raw.command("EVAL", body, "1", "k") == expected


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # Reply tables are read raw, as Redis does (lua_rawget): an __index answering every number
        # would otherwise never end the array, and one answering 'err' would turn it into an error.
        ("return setmetatable({}, {__index=function(t, k) if type(k) == 'number' then return k end end})", b"*0\r\n"),
        ("return setmetatable({5, 6}, {__index=function(t, k) return k end})", b"*2\r\n:5\r\n:6\r\n"),
        ("return {1, setmetatable({ok='fine'}, {__index=error})}", b"*2\r\n:1\r\n+fine\r\n"),
    ],
)
def test_reply_tables_are_read_without_metamethods(raw, script, expected):
    assert raw.command("EVAL", script, "0") == expected
    assert raw.command("PING") == b"+PONG\r\n"


@pytest.mark.parametrize(
    "script",
    [
        "local t = {} t[1] = t return t",
        "local t = {} local c = t for i = 1, 100000 do c[1] = {} c = c[1] end return t",
    ],
)
def test_reply_nested_past_the_stack_limit_is_an_error(raw, script):
    # Redis sends the arrays down to its Lua stack's depth, then the error in place of the next one;
    # cacheserver sends the error alone. Both end with it, and the server goes on.
    # (read as bytes: thousands of nested arrays are deeper than the test's own reply parser goes)
    raw.send(encode_command("EVAL", script, "0") + encode_command("PING"))
    data = b""
    while not data.endswith(b"+PONG\r\n"):
        chunk = raw.sock.recv(65536)
        assert chunk
        data += chunk
    assert data.endswith(b"-ERR reached lua stack limit\r\n+PONG\r\n")


def test_eval_caches_and_evalsha_runs(raw):
    raw.command("SCRIPT", "FLUSH")
    sha = b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
    assert raw.command("SCRIPT", "EXISTS", sha) == b"*1\r\n:0\r\n"
    assert raw.command("EVALSHA", sha, "0") == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    assert raw.command("EVAL", "return 1", "0") == b":1\r\n"
    assert raw.command("SCRIPT", "EXISTS", sha, "ffff") == b"*2\r\n:1\r\n:0\r\n"
    assert raw.command("EVALSHA", sha.upper(), "0") == b":1\r\n"
    assert raw.command("EVALSHA_RO", sha, "0") == b":1\r\n"
    assert raw.command("SCRIPT", "FLUSH", "ASYNC") == b"+OK\r\n"
    assert raw.command("EVALSHA", sha, "0") == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    assert raw.command("SCRIPT", "LOAD", "return 1") == b"$40\r\n" + sha + b"\r\n"
    assert raw.command("EVALSHA", sha, "0") == b":1\r\n"


def test_script_subcommand_errors(raw):
    assert raw.command("SCRIPT", "FLUSH", "BAD") == b"-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
    assert raw.command("SCRIPT", "FOO") == b"-ERR unknown subcommand 'FOO'. Try SCRIPT HELP.\r\n"
    assert raw.command("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
    assert raw.command("SCRIPT", "LOAD", "return (") == (
        b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"
    )
    assert raw.command("SCRIPT", "HELP").startswith(b"*17\r\n+SCRIPT <subcommand>")


def test_eval_ro_and_shebang_flags(raw):
    assert raw.command("EVAL_RO", "#!lua\nreturn 1", "0") == (
        b"-ERR Can not execute a script with write flag using *_ro command.\r\n"
    )
    assert raw.command("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','k')", "0") == b"$-1\r\n"
    assert raw.command("EVAL_RO", "return redis.call('get','k')", "0") == b"$-1\r\n"
    assert raw.command("EVAL", "#!lua\nreturn redis.call('set','k','v')", "0") == b"+OK\r\n"


def test_script_error_halfway_keeps_earlier_writes(r):
    with pytest.raises(redis.ResponseError):
        r.eval("redis.call('set','a','1') redis.call('incr','a','b') redis.call('set','b','2')", 0)
    assert r.get("a") == b"1"
    assert r.get("b") is None
    assert r.ping()


def test_script_select_stays_inside_the_script(r):
    assert r.eval("redis.call('select', 1) return redis.call('set','x','in1')", 0) == b"OK"
    assert r.get("x") is None
    r.select(1) if False else None
    c1 = redis.Redis(
        host=r.connection_pool.connection_kwargs["host"], port=r.connection_pool.connection_kwargs["port"], db=1
    )
    assert c1.get("x") == b"in1"
    c1.flushdb()
    c1.close()


def test_resp3_return_types(r3):
    assert r3.eval("return {map={a=1}}", 0) == {b"a": 1}
    assert r3.eval("return {double=3.5}", 0) == 3.5
    assert r3.eval("return true", 0) == 1
    assert r3.eval("return false", 0) is None
    assert r3.eval("redis.setresp(3) return true", 0) is True
    assert r3.eval("redis.setresp(3) return false", 0) is False


def test_resp3_raw_bytes(target):
    conn = target.raw()
    try:
        assert conn.command("HELLO", "3").startswith(b"%")
        assert conn.command("EVAL", "return {map={a=1}}", "0") == b"%1\r\n$1\r\na\r\n:1\r\n"
        assert conn.command("EVAL", "return {double=3.5}", "0") == b",3.5\r\n"
        assert conn.command("EVAL", "return {big_number='123'}", "0") == b"(123\r\n"
        assert conn.command("EVAL", "return true", "0") == b":1\r\n"
        assert conn.command("EVAL", "return false", "0") == b"_\r\n"
        assert conn.command("EVAL", "redis.setresp(3) return {1, false, true}", "0") == b"*3\r\n:1\r\n#f\r\n#t\r\n"
        assert conn.command("EVAL", "return nil", "0") == b"_\r\n"
        assert conn.command("EVAL", "return {set={a=true}}", "0") == b"~1\r\n$1\r\na\r\n"
    finally:
        conn.close()


def test_blocked_client_is_served_after_the_script(r, target):
    waiter = target.client()
    got = []
    t = threading.Thread(target=lambda: got.append(waiter.blpop("q", 5)))
    t.start()
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert r.eval("redis.call('rpush', 'q', 'a') return redis.call('lpop', 'q')", 0) == b"a"
    assert r.eval("return redis.call('rpush', 'q', 'b')", 0) == 1
    t.join(5)
    assert got == [(b"q", b"b")]
    waiter.close()


def _run_eval_in_thread(target, script: str) -> tuple[threading.Thread, list]:
    conn = target.raw()
    result: list = []

    def run() -> None:
        conn.sock.settimeout(30)
        conn.send(encode_command("EVAL", script, "0"))
        result.append(conn.read_reply())
        conn.close()

    t = threading.Thread(target=run)
    t.start()
    return t, result


def _wait_busy(conn) -> bytes:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        reply = conn.command("PING")
        if reply != b"+PONG\r\n":
            return reply
        time.sleep(0.05)
    return reply


def test_busy_script_is_killed_with_script_kill(target):
    other = target.raw()
    try:
        assert other.command("CONFIG", "SET", "busy-reply-threshold", "100") == b"+OK\r\n"
        t, result = _run_eval_in_thread(target, "local i = 0 while true do i = i + 1 end")
        assert _wait_busy(other) == (
            b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
        )
        assert other.command("GET", "k") == (
            b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
        )
        assert other.command("FUNCTION", "KILL") == (
            b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
        )
        assert other.command("SCRIPT", "KILL") == b"+OK\r\n"
        t.join(10)
        assert result == [
            b"-ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, "
            b"on @user_script:1.\r\n"
        ]
        assert other.command("PING") == b"+PONG\r\n"
        assert other.command("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
    finally:
        other.command("CONFIG", "SET", "busy-reply-threshold", "5000")
        other.close()


def test_killed_script_cannot_swallow_the_kill_with_pcall(target):
    other = target.raw()
    try:
        assert other.command("CONFIG", "SET", "busy-reply-threshold", "100") == b"+OK\r\n"
        script = "while true do pcall(function() local i = 0 while true do i = i + 1 end end) end"
        t, result = _run_eval_in_thread(target, script)
        _wait_busy(other)
        assert other.command("SCRIPT", "KILL") == b"+OK\r\n"
        t.join(10)
        assert len(result) == 1 and result[0].startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    finally:
        other.command("CONFIG", "SET", "busy-reply-threshold", "5000")
        other.close()


def test_redis_call_checks_hold_once_a_command_name_was_seen(raw):
    # The first calls make each name known; later ones with the same spelling must still fail the same way.
    assert raw.command("EVAL", "redis.call('set', KEYS[1], 'v') return redis.call('GET', KEYS[1])", "1", "k") == (
        b"$1\r\nv\r\n"
    )
    assert raw.command("EVAL", "return redis.call('GET')", "0") == (
        b"-ERR Wrong number of args calling Redis command from script script: "
        b"72273adc3c5955bf8543f1ad6ce893355b89617d, on @user_script:1.\r\n"
    )
    # An argument of the wrong type is reported before the wrong number of arguments, as in Redis.
    assert raw.command("EVAL", "return redis.call('GET', {}, 'x')", "0") == (
        b"-ERR Lua redis lib command arguments must be strings or integers script: "
        b"73926bdefaf2a16ab7e19d07f1224ba38ba36eb5, on @user_script:1.\r\n"
    )
    assert raw.command("EVAL_RO", "return redis.call('set', 'k', 'w')", "0") == (
        b"-ERR Write commands are not allowed from read-only scripts. script: "
        b"92d9bd2bb14ec0e5800f5bc76118e977c539ac71, on @user_script:1.\r\n"
    )
    assert raw.command("EVAL", "return redis.call('GET', 'k', 1.5)", "0").startswith(b"-ERR Wrong number of args")
    assert raw.command("EVAL", "redis.call('lpush', 'l', 'a') return redis.call('GET', 'l')", "0") == (
        b"-WRONGTYPE Operation against a key holding the wrong kind of value script: "
        b"e69c489751803b71ffca69e7b74ea317cf1b35cd, on @user_script:1.\r\n"
    )
    assert raw.command("EVAL", "return redis.pcall('GET', 'l')['err']", "0") == (
        b"$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    )


def test_redis_call_numbers_and_flat_arrays(raw):
    raw.command("CONFIG", "RESETSTAT")  # the calls counted below are this test's own
    assert raw.command("EVAL", "return redis.call('BITFIELD', KEYS[1], 'SET', 'u1', 7, 1)", "1", "bf") == (
        b"*1\r\n:0\r\n"
    )
    assert (
        raw.command(
            "EVAL",
            "return redis.call('bitfield', KEYS[1], 'set', 'u1', tonumber(ARGV[1]), 1, 'get', 'u8', 0)",
            "1",
            "bf",
            "7",
        )
        == b"*2\r\n:1\r\n:1\r\n"
    )
    assert (
        raw.command("EVAL", "local t = redis.call('MGET', 'bf', 'nokey') return {type(t[1]), type(t[2]), #t}", "0")
        == b"*3\r\n$6\r\nstring\r\n$7\r\nboolean\r\n:2\r\n"
    )
    assert raw.command("EVAL", "return redis.call('SET', 'n', 3.0) and redis.call('INCRBY', 'n', 2^53)", "0") == (
        b":9007199254740996\r\n"  # 2^53 + 3, through a Lua double
    )
    assert raw.command("INFO", "commandstats").count(b"cmdstat_bitfield:calls=2,") == 1


OOM_ERR = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def _cmdstat(raw, name: str) -> bytes:
    for line in raw.command("INFO", "COMMANDSTATS").split(b"\r\n"):
        if line.startswith(b"cmdstat_%s:" % name.encode()):
            return line.split(b",usec=")[0] + b"," + line.split(b"usec_per_call=")[1].split(b",", 1)[1]
    return b""


def test_scripts_over_maxmemory(raw):
    """Out of memory when a script starts: without a shebang its first DENYOOM command is refused (not
    after a write); a script declaring flags (or a function) that may write is refused before it runs;
    allow-oom and no-writes run."""
    raw.command("SET", "a", "b")
    raw.command("CONFIG", "RESETSTAT")
    assert raw.command("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
    try:
        assert raw.command("EVAL", "return redis.call('set','a','c')", "0") == (
            b"-OOM command not allowed when used memory > 'maxmemory'. script: "
            b"57f126bde889726fb6d48911b3a12402ab1c626c, on @user_script:1.\r\n"
        )
        assert raw.command("EVAL", "return redis.pcall('incr','n')", "0") == OOM_ERR
        assert raw.command("EVAL", "return redis.call('get','a')", "0") == b"$1\r\nb\r\n"
        assert raw.command("EVAL", "redis.call('del','x') return redis.call('set','a','d')", "0") == b"+OK\r\n"
        assert raw.command("EVAL", "return redis.call('expire','a','100')", "0") == b":1\r\n"
        assert raw.command("EVAL", "#!lua\nreturn 1", "0") == OOM_ERR
        assert raw.command("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','a')", "0") == b"$1\r\nd\r\n"
        assert raw.command("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','e')", "0") == b"+OK\r\n"
        stats = raw.command("INFO", "ERRORSTATS")
        assert b"errorstat_OOM:count=3\r\n" in stats
        assert _cmdstat(raw, "set") == b"cmdstat_set:calls=2,rejected_calls=1,failed_calls=0"
        assert _cmdstat(raw, "incr") == b"cmdstat_incr:calls=0,rejected_calls=1,failed_calls=0"
    finally:
        raw.command("CONFIG", "SET", "maxmemory", "0")
    assert raw.command("GET", "a") == b"$1\r\ne\r\n"


def test_functions_over_maxmemory(raw):
    lib = (
        "#!lua name=oomlib\n"
        "redis.register_function('w', function(keys) return redis.call('set', keys[1], 'v') end)\n"
        "redis.register_function{function_name='ro', callback=function(keys) return redis.call('get', keys[1]) end,"
        " flags={'no-writes'}}\n"
        "redis.register_function{function_name='ao', callback=function(keys) return redis.call('set', keys[1], 'w') end,"
        " flags={'allow-oom'}}"
    )
    assert raw.command("FUNCTION", "LOAD", "REPLACE", lib) == b"$6\r\noomlib\r\n"
    raw.command("CONFIG", "RESETSTAT")
    assert raw.command("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
    try:
        assert raw.command("FCALL", "w", "1", "k") == OOM_ERR
        assert raw.command("FCALL", "ro", "1", "k") == b"$-1\r\n"
        assert raw.command("FCALL", "ao", "1", "k") == b"+OK\r\n"
        assert _cmdstat(raw, "fcall") == b"cmdstat_fcall:calls=2,rejected_calls=1,failed_calls=0"
    finally:
        raw.command("CONFIG", "SET", "maxmemory", "0")
        raw.command("FUNCTION", "DELETE", "oomlib")


def test_read_only_script_refusal_counts_as_rejected(raw):
    raw.command("CONFIG", "RESETSTAT")
    assert raw.command("EVAL", "#!lua flags=no-writes\nreturn redis.pcall('set','a','b')", "0") == (
        b"-ERR Write commands are not allowed from read-only scripts.\r\n"
    )
    assert _cmdstat(raw, "set") == b"cmdstat_set:calls=0,rejected_calls=1,failed_calls=0"
    assert b"errorstat_ERR:count=1\r\n" in raw.command("INFO", "ERRORSTATS")


def test_error_stats_count_each_error_once(raw):
    # Redis 7.0: an error a called command replies (or a refusal) counts in errorstats when it happens;
    # the script's reply passing it on does not count it again, but is a failed call of EVAL. An error
    # the script makes itself (error(), error_reply, an err table) counts as EVAL's reply.
    raw.command("SET", "str", "abc")
    raw.command("CONFIG", "RESETSTAT")
    scripts = [
        "return redis.error_reply('MY err')",
        "error('x')",
        "return redis.call('INCR', 'str')",
        "return redis.pcall('INCR', 'str')",
        "return {err='OTHER e'}",
        "return redis.pcall('NOSUCH')",
        "return redis.pcall('GET')",
        "return redis.pcall('MULTI')",
        "local ok = redis.pcall('INCR', 'str') return 1",
        "local ok = redis.pcall('INCR', 'str') return redis.pcall('INCR', 'str')",
        "local ok = pcall(redis.call, 'INCR', 'str') return 1",
    ]
    for body in scripts:
        raw.command("EVAL", body, "0")
    assert raw.command("EVAL", "local e = redis.pcall('INCR', 'str') return tostring(e.ignore_error_stats_update)", "0") == (
        b"$4\r\ntrue\r\n"
    )
    raw.command("EVAL_RO", "return redis.call('SET', 'a', 'b')", "0")
    stats = {}
    for line in raw.command("INFO", "commandstats").split(b"\r\n"):
        if line.startswith(b"cmdstat_") and not line.startswith(b"cmdstat_config"):
            name, _, fields = line.partition(b":")
            kept = [f for f in fields.split(b",") if not f.startswith(b"usec")]
            stats[name] = b",".join(kept)
    assert stats == {
        b"cmdstat_eval": b"calls=12,rejected_calls=0,failed_calls=9",
        b"cmdstat_eval_ro": b"calls=1,rejected_calls=0,failed_calls=1",
        b"cmdstat_get": b"calls=0,rejected_calls=1,failed_calls=0",
        b"cmdstat_incr": b"calls=7,rejected_calls=0,failed_calls=7",
        b"cmdstat_multi": b"calls=0,rejected_calls=1,failed_calls=0",
        b"cmdstat_set": b"calls=0,rejected_calls=1,failed_calls=0",
    }
    errorstats = sorted(line for line in raw.command("INFO", "errorstats").split(b"\r\n") if line.startswith(b"errorstat_"))
    assert errorstats == [b"errorstat_ERR:count=12", b"errorstat_MY:count=1", b"errorstat_OTHER:count=1"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return redis.acl_check_cmd('GET', 'k')", b":1\r\n"),
        ("return redis.acl_check_cmd('get', 1)", b":1\r\n"),
        ("return redis.acl_check_cmd('CONFIG', 'GET', 'x')", b":1\r\n"),
        (
            "return redis.acl_check_cmd('NOSUCH')",
            b"-ERR Invalid command passed to redis.acl_check_cmd() script: "
            b"a61704d49f6df3f239cf8127955b935a8eee8eff, on @user_script:1.\r\n",
        ),
        (
            "return redis.acl_check_cmd('CONFIG', 'NOSUCH')",
            b"-ERR Invalid command passed to redis.acl_check_cmd() script: "
            b"7a1144467f813102380dabf21c056816482e6e02, on @user_script:1.\r\n",
        ),
        (
            "return redis.acl_check_cmd()",
            b"-ERR Please specify at least one argument for this redis lib call script: "
            b"1124f33ad66e7866b4e0c1499a4c20fb5eb9c180, on @user_script:1.\r\n",
        ),
    ],
)
def test_acl_check_cmd(raw, body, expected):
    # The default user may run every command; an unknown command or subcommand is an error.
    assert raw.command("EVAL", body, "0") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "return cjson.decode(string.rep('[', 100000) .. string.rep(']', 100000))",
            b"-ERR user_script:1: Found too many nested data structures (1001) at character 1001 script: "
            b"cf3264d203da92893e0551447f171ce9b25d5074, on @user_script:1.\r\n",
        ),
        (
            "local t = {} t[1] = t return cjson.encode(t)",
            b"-ERR user_script:1: Cannot serialise, excessive nesting (1001) script: "
            b"576653f0096d47f87063058b9abe9085cdcd4f41, on @user_script:1.\r\n",
        ),
        ("return type(cmsgpack.unpack(string.rep(string.char(0x91), 3999) .. string.char(0)))", b"$5\r\ntable\r\n"),
        (
            "return type(cmsgpack.unpack(string.rep(string.char(0x91), 4000) .. string.char(0)))",
            b"-ERR user_script:1: stack overflow (in function mp_decode_to_lua_array) script: "
            b"96038233e8cfec369fcb44b1dd73f619774af6cb, on @user_script:1.\r\n",
        ),
        (
            "return type(cmsgpack.unpack(string.rep(string.char(0x81, 0), 4000) .. string.char(0)))",
            b"-ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit "
            b"instead.) script: 2f736cbfedce721bce4212d9f885f91c56426a67, on @user_script:1.\r\n",
        ),
        (
            "return struct.unpack('i', '')",
            b"-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: "
            b"f9792736ec565d6cb26e6c9a67c74c4e66bcc321, on @user_script:1.\r\n",
        ),
    ],
)
def test_library_nesting_limits(raw, body, expected):
    # Deeply nested input meets each library's own limit and error text, not an internal error.
    assert raw.command("EVAL", body, "0") == expected


def _error_stats(r) -> tuple[dict, int]:
    stats = r.info("commandstats").get("cmdstat_eval", {})
    return {k: v["count"] for k, v in r.info("errorstats").items()}, stats.get("failed_calls", 0)


@pytest.mark.parametrize(
    "script, errors, failed",
    [
        # errors inside a table reply are error replies: errorstats and one failed call
        ("return {1, {err='ERR nested'}, {2, {err='DEEP x'}}}", {"errorstat_ERR": 1, "errorstat_DEEP": 1}, 1),
        # a command's error caught by pcall was counted when it happened: a failed call each
        ("redis.call('set', KEYS[1], 'x') return {redis.pcall('incr', KEYS[1]), redis.pcall('incr', KEYS[1])}",
         {"errorstat_ERR": 2}, 2),
        ("redis.call('set', KEYS[1], 'x') return {redis.pcall('incr', KEYS[1]), {err='OWN x'}}",
         {"errorstat_ERR": 1, "errorstat_OWN": 1}, 2),
        # an error text that starts with a space keeps it, and has an empty code
        ("return {err=' lead'}", {"errorstat_": 1}, 1),
    ],
)
def test_error_replies_inside_a_script_reply_count_as_redis_counts_them(r, script, errors, failed):
    r.config_resetstat()
    try:
        r.eval(script, 1, "k")
    except redis.ResponseError as e:
        assert str(e) == " lead"
    assert _error_stats(r) == (errors, failed)


@pytest.mark.parametrize("call", ["redis.call('pfcount', 'h')", "redis.call('publish', 'ch', 'm')",
                                  "redis.call('spublish', 'ch', 'm')"])
def test_read_only_scripts_may_not_run_may_replicate_commands(r, call):
    with pytest.raises(redis.ResponseError, match="^Write commands are not allowed from read-only scripts."):
        r.eval_ro(f"return {call}", 0)
    assert r.eval(f"return {call}", 0) == 0


@pytest.mark.parametrize(
    "body, reply",
    [
        # the redis API reads its numbers as C ints from lua_tonumber: numeric strings and fractions pass
        ("return redis.setresp('2')", b"$-1\r\n"),
        ("return redis.setresp(3.9)", b"$-1\r\n"),
        ("return redis.set_repl('x')", b"$-1\r\n"),  # not a number: 0, REPL_NONE
        ("return redis.set_repl(2.5)", b"$-1\r\n"),
        ("return redis.log('3', 'x')", b"$-1\r\n"),
        ("return redis.log(-0.5, 'x', {}, 5)", b"$-1\r\n"),
        ("return redis.call('echo', 0/0)", b"$4\r\n-nan\r\n"),  # %.17g of x86's default NaN
        ("return redis.call('echo', -(0/0))", b"$3\r\nnan\r\n"),
        ("return redis.setresp(2^32 + 3)", b"-ERR RESP version must be 2 or 3."),  # out of int range: INT_MIN
        ("return redis.set_repl(2^32 + 1)", b"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."),
        ("return redis.set_repl()", b"-ERR redis.set_repl() requires two arguments."),
        ("return redis.log({}, 'x')", b"-ERR First argument must be a number (log level)."),
        ("return redis.log(2^32, 'x')", b"-ERR Invalid debug level."),
        ("return redis.log(0/0, 'x')", b"-ERR Invalid debug level."),
    ],
)
def test_redis_api_numbers_as_redis_reads_them(raw, body: str, reply: bytes) -> None:
    assert raw.command("EVAL", body, "0").startswith(reply)


def test_script_key_spec_notes(r):
    r.response_callbacks.clear()
    notes = {}
    for name in ("eval", "eval_ro", "fcall", "fcall_ro"):
        [info] = r.execute_command("COMMAND", "INFO", name)
        notes[name] = info[8][0][1]
    assert notes == {
        "eval": b"We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
        "eval_ro": b"We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
        "fcall": b"We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
        "fcall_ro": b"We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
    }
