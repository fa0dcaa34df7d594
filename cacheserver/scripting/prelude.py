"""The Lua side of the sandbox: globals protection, the ``redis`` table, the error handler.

Rules: this chunk runs once per Lua runtime with the real globals; user code never sees them. It gets
Python callbacks as arguments and keeps them in upvalues only, so no Lua code can reach a Python object.
Names and texts follow Redis 7.0 (script_lua.c, eval.c, function_lua.c).
"""

# Chunk name of our own Lua code: the error handler skips its frames to find the user's line.
INTERNAL_CHUNK = "=cacheserver"

PRELUDE = (
    r"""
local py_call, py_pcall, py_sha1, py_log, py_setresp, py_setrepl, py_tick, py_register, py_error, libs, py_acl_check = ...
local G = _G
local dbg_getinfo, dbg_sethook, dbg_getmetatable = debug.getinfo, debug.sethook, debug.getmetatable
-- Scripts never see the debug library, and without a global one lupa calls into Lua without first
-- looking up debug.traceback as the message handler (our runs have their own: on_error).
G.debug = nil
local rawset, type, error, tostring, setfenv, xpcall, pcall, select, unpack = rawset, type, error, tostring, setfenv, xpcall, pcall, select, unpack
local setmetatable, loadstring, load = setmetatable, loadstring, load
local INTERNAL = '"""
    + INTERNAL_CHUNK
    + r"""'

local READONLY = 'Attempt to modify a readonly table'
local function readonly(t, k, v)
  error(READONLY, 2)
end
local function nonexistent(t, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

-- Redis 7.0 marks the globals and every table reachable from them read-only inside its Lua (a flag
-- lua_rawset checks); stock Lua has no such flag, so scripts see empty proxies whose __newindex
-- refuses, and the script-visible raw functions (below) know the proxies: ``backing`` maps each one to
-- the table its reads come from, ``fake_mt`` to what getmetatable shows for it (nil: none).
local backing, fake_mt = {}, {}
local function protect(t)
  local proxy, mt = {}, {__index = t, __newindex = readonly, __metatable = false}
  setmetatable(proxy, mt)
  backing[proxy] = t
  return proxy, mt
end

-- What scripts see as globals (Redis's allow-list), read-only, erroring on unknown names.
local base = {}
for _, name in ipairs({'assert', 'collectgarbage', 'error', 'gcinfo', 'getmetatable', 'ipairs', 'next',
    'pairs', 'rawequal', 'rawget', 'rawset', 'select', 'setmetatable', 'tonumber', 'tostring',
    'type', 'unpack', '_VERSION'}) do
  base[name] = G[name]
end
for _, name in ipairs({'coroutine', 'string', 'math'}) do base[name] = protect(G[name]) end
-- Library functions and redis.call are Python callables, C functions to Lua: a script's tail call to
-- them keeps its frame, so their errors can name the script's line (see on_error).
for name, lib in pairs(libs) do
  local t = {}
  for fname, f in pairs(lib) do t[fname] = f end
  base[name] = protect(t)
end
-- Strings share one metatable ({__index = string}); scripts get a read-only copy of it from
-- getmetatable(''), so that no script can take string methods away from the next one.
local string_mt = getmetatable('')
string_mt.__metatable = protect({__index = base.string})

-- Redis's argument errors of the C functions replaced below, positioned at the script's line.
-- ``level`` counts from argerror's caller, as error's does.
local function argerror(n, fname, msg, level)
  error('bad argument #' .. n .. " to '" .. fname .. "' (" .. msg .. ')', (level or 2) + 1)
end
local function check_table(n, fname, t, given)
  if given < n then argerror(n, fname, 'table expected, got no value', 3) end
  if type(t) ~= 'table' then argerror(n, fname, 'table expected, got ' .. type(t), 3) end
end

-- The raw functions refuse to write a read-only table and read a proxy's contents, as in Redis.
local raw_get, raw_set, raw_next, raw_pairs, get_mt, set_mt = rawget, rawset, next, pairs, getmetatable, setmetatable
-- A proxy's contents: a table, or a function answering the table of the moment.
local function contents(t)
  local b = backing[t]
  if type(b) == 'function' then return b() end
  return b
end
base.rawset = function(...)
  local t, k = ...
  local n = select('#', ...)
  check_table(1, 'rawset', t, n)
  if n < 2 then argerror(2, 'rawset', 'value expected') end
  if n < 3 then argerror(3, 'rawset', 'value expected') end
  if backing[t] then error(READONLY, 0) end
  return raw_set(...)
end
base.rawget = function(...)
  local t, k = ...
  local n = select('#', ...)
  check_table(1, 'rawget', t, n)
  if n < 2 then argerror(2, 'rawget', 'value expected') end
  local b = contents(t)
  if b then return raw_get(b, k) end
  return raw_get(t, k)
end
base.next = function(...)
  local t, k = ...
  check_table(1, 'next', t, select('#', ...))
  local b = contents(t)
  if b then return raw_next(b, k) end
  return raw_next(t, k)
end
local script_next = base.next
base.pairs = function(...)
  local t = ...
  check_table(1, 'pairs', t, select('#', ...))
  if backing[t] then return script_next, t, nil end
  return raw_pairs(t)
end
base.getmetatable = function(...)
  local t = ...
  if select('#', ...) == 0 then argerror(1, 'getmetatable', 'value expected') end
  if backing[t] then return fake_mt[t] end
  return get_mt(t)
end
base.setmetatable = function(...)
  local t, mt = ...
  local n = select('#', ...)
  check_table(1, 'setmetatable', t, n)
  if n < 2 or (mt ~= nil and type(mt) ~= 'table') then argerror(2, 'setmetatable', 'nil or table expected') end
  if backing[t] then error(READONLY, 0) end
  local old = dbg_getmetatable(t)
  if old and raw_get(old, '__metatable') ~= nil then error('cannot change a protected metatable', 2) end
  return set_mt(t, mt)
end
-- table.insert writes with lua_rawseti, which Redis refuses on a read-only table (after its own
-- argument checks); the other table functions write nothing to a table without array items.
local tinsert = table.insert
local script_table = {}
for k, v in pairs(table) do script_table[k] = v end
script_table.insert = function(...)
  local t = ...
  local n = select('#', ...)
  check_table(1, 'insert', t, n)
  if n ~= 2 and n ~= 3 then error("wrong number of arguments to 'insert'", 2) end
  if n == 3 and tonumber((select(2, ...))) == nil then
    argerror(2, 'insert', 'number expected, got ' .. type((select(2, ...))))
  end
  if backing[t] then error(READONLY, 0) end
  return tinsert(...)
end
base.table = protect(script_table)

-- Each environment is an empty proxy over its own globals table: every assignment reaches __newindex.
-- EVAL's globals hold KEYS and ARGV, replaced before each run (never nil, so replacing them is a
-- plain store); a function library's hold neither, as in Redis.
local eval_base, function_base = {}, {}
local function new_env(globals)
  local env, mt = protect(globals)
  -- What Redis's globals carry as metatable: __index = luaProtectedTableError, read-only.
  fake_mt[env] = protect({__index = function(...)
    if select('#', ...) ~= 2 then error('Wrong number of arguments to luaProtectedTableError', 2) end
    local _, k = ...
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end})
  return env, mt
end
local eval_env = new_env(eval_base)
-- While a library's code loads, its globals offer `redis` alone (Redis swaps the globals' __index).
local loading_base = {}
local function_env, function_env_mt = new_env(function_base)
eval_base.KEYS, eval_base.ARGV = {}, {}

-- Code compiled from inside a script runs in the script's environment, never in the real globals.
base.loadstring = function(s, name)
  local f, e = loadstring(s, name)
  if f then setfenv(f, eval_env) end
  return f, e
end
base.load = function(fn, name)
  local f, e = load(fn, name)
  if f then setfenv(f, eval_env) end
  return f, e
end

-- The frame an error belongs to: the first one of user code (not C, not ours).
local function user_frame(level)
  while true do
    local info = dbg_getinfo(level, 'Sl')
    if info == nil or (info.what ~= 'C' and info.what ~= 'tail' and info.source ~= INTERNAL) then
      return info
    end
    level = level + 1
  end
end

-- An error raised by Python (a userdata) -> what Redis's C code raises: an error table, or for the C
-- libraries (luaL_error) a string positioned at the calling line when a Lua function called them.
-- ``level`` is the caller's stack level as seen from the handler that calls this function.
local function lua_error_value(e, level)
  if type(e) ~= 'userdata' then return e end
  local msg, positioned = py_error(e)
  if positioned == 'plain' then return msg end
  if positioned then
    local info = level > 0 and dbg_getinfo(level + 1, 'Sl')
    if info and info.what ~= 'C' and info.source ~= INTERNAL and info.currentline > 0 then
      return info.short_src .. ':' .. info.currentline .. ': ' .. msg
    end
    return msg
  end
  return {err = msg}
end

-- A library function called straight from pcall or xpcall (C functions): its error has no line to
-- name, and luaL_argerror finds no name for it either ("bad argument #1 to '?' (...)").
local function unnamed_error(e)
  e = lua_error_value(e, 0)
  if type(e) == 'string' then e = (e:gsub("^bad argument (#%d+) to '[^']*'", "bad argument %1 to '?'", 1)) end
  return e
end
-- Redis 7.0's pcall (luaRedisPcall): an error table caught comes back as its message string.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = unnamed_error(e) end
  if type(e) == 'table' and type(e.err) == 'string' then e = e.err end
  return false, e
end
local function is_lua_function(f)
  return type(f) == 'function' and dbg_getinfo(f, 'S').what ~= 'C'
end
base.pcall = function(f, ...)
  if not is_lua_function(f) then
    return pcall_result(pcall(f, ...))
  end
  local n, args = select('#', ...), {...}
  return pcall_result(xpcall(function() return f(unpack(args, 1, n)) end, function(e) return lua_error_value(e, 3) end))
end
base.xpcall = function(f, handler)
  if not is_lua_function(f) then
    return xpcall(f, function(e) return handler(type(e) == 'userdata' and unnamed_error(e) or e) end)
  end
  return xpcall(f, function(e) return handler(lua_error_value(e, 3)) end)
end

local redis = {}
redis.call = py_call
redis.pcall = py_pcall
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then return {err = 'ERR wrong number or type of arguments'} end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  local code, msg = e:match('^%-(%S+) (.*)$')
  if code == nil then return {err = 'ERR ' .. e:sub(2)} end
  return {err = code .. ' ' .. msg}
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return {err = 'ERR wrong number or type of arguments'} end
  return {ok = s}
end
redis.sha1hex = py_sha1
redis.acl_check_cmd = py_acl_check
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.log = py_log
redis.setresp = py_setresp
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.set_repl = py_setrepl
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REDIS_VERSION = '7.0.15'
redis.REDIS_VERSION_NUM = 0x07000f
base.redis = protect(redis)

-- FUNCTION libraries: while the code loads, `redis` offers register_function and a few helpers and
-- errors on anything else; when a function runs, the script API.
local loading = {}
loading.register_function = function(...)
  local n = select('#', ...)
  local a, b = ...
  if n == 1 and type(a) == 'table' then
    py_register(a.function_name, a.callback, a.flags, a.description, a)
  elseif n ~= 2 then
    error({err = 'ERR wrong number of arguments to redis.register_function'})
  else
    py_register(a, b, nil, nil, nil)
  end
end
for _, name in ipairs({'log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING',
    'REDIS_VERSION', 'REDIS_VERSION_NUM'}) do
  loading[name] = redis[name]
end
local function_redis = {}
for k, v in pairs(redis) do function_redis[k] = v end
local is_loading = false
local function_api = {}
setmetatable(function_api, {
  __index = function(_, k)
    if is_loading then
      local v = loading[k]
      if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
      return v
    end
    return function_redis[k]
  end,
  __newindex = readonly,
  __metatable = false,
})
-- Raw reads see what the library sees: the loading API and globals, or the script's.
backing[function_api] = function() if is_loading then return loading end return function_redis end
backing[function_env] = function() if is_loading then return loading_base end return function_base end
loading_base.redis = function_api
setmetatable(loading_base, {__index = nonexistent, __newindex = readonly, __metatable = false})

-- Both globals tables: a flat copy of the allow-list (no lookup chain on a global's read).
for k, v in pairs(base) do eval_base[k], function_base[k] = v, v end
eval_base._G = eval_env
function_base._G, function_base.redis = function_env, function_api
setmetatable(eval_base, {__index = nonexistent, __newindex = readonly, __metatable = false})
setmetatable(function_base, {__index = nonexistent, __newindex = readonly, __metatable = false})

-- Redis's error handler: every error becomes {err=..., source=..., line=...} of the user's frame.
local function on_error(e)
  local info = user_frame(2)
  e = lua_error_value(e, 3)
  if type(e) ~= 'table' then e = {err = 'ERR ' .. tostring(e)} end
  if info then
    e.source = info.source
    e.line = info.currentline
  end
  return e
end
-- EVAL's globals show it under Redis's name (scripts can see and call it there).
rawset(eval_base, '__redis__err__handler', on_error)

-- The busy/kill check, every 100000 VM instructions (as Redis's luaMaskCountHook). The count hook stays
-- set for the runtime's life: a count carried over from the previous run only makes the first check of
-- a script come sooner, and the check costs nothing outside a run (py_tick answers nil). Once killed,
-- the hook fires on every line so that a pcall in the script cannot swallow the kill; the run's end
-- puts the count hook back (finish).
local kill_msg
local function killed_hook()
  local info = dbg_getinfo(2, 'S')
  if info and info.source ~= '"""
    + INTERNAL_CHUNK
    + r"""' then error({err = kill_msg}) end
end
local function tick()
  local verdict = py_tick()
  if verdict then
    kill_msg = verdict
    dbg_sethook(killed_hook, 'l')
    error({err = verdict})
  end
end
dbg_sethook(tick, '', 100000)
local function unkill()
  kill_msg = nil
  dbg_sethook(tick, '', 100000)
end

-- A run's xpcall result -> one value for a result, two for an error: Python tells them apart without
-- unpacking a pair.
local function finish(ok, v)
  if kill_msg then unkill() end
  if ok then return v end
  return false, v
end

local api = {}
api.compile = function(body, chunkname, env)
  local f, e = loadstring(body, chunkname)
  if f == nil then return nil, e end
  setfenv(f, env == 'function' and function_env or eval_env)
  return f
end
-- KEYS and ARGV arrive as varargs: building the tables here is cheaper than from Python.
local function split_args(nkeys, ...)
  local keys, argv = {...}, {}
  local n = select('#', ...)
  for i = nkeys + 1, n do
    argv[i - nkeys] = keys[i]
    keys[i] = nil
  end
  return keys, argv
end
api.run_eval = function(f, nkeys, ...)
  local keys, argv = split_args(nkeys, ...)
  eval_base.KEYS, eval_base.ARGV = keys, argv
  return finish(xpcall(f, on_error))
end
-- A script's runner for one number of keys: the keys are parameters and the rest is ARGV, so Python
-- passes only the call's arguments and no table is split.
local runner_factories = {}
api.runner = function(f, nkeys)
  local factory = runner_factories[nkeys]
  if factory == nil then
    local names = {}
    for i = 1, nkeys do names[i] = 'k' .. i end
    local params = table.concat(names, ', ')
    local src = 'local f, globals, xpcall, on_error, finish = ...\n' ..
      'return function(' .. params .. (nkeys > 0 and ', ...)' or '...)') ..
      ' globals.KEYS = {' .. params .. '} globals.ARGV = {...}' ..
      ' return finish(xpcall(f, on_error)) end'
    local chunk = loadstring(src, INTERNAL)
    factory = function(fn) return chunk(fn, eval_base, xpcall, on_error, finish) end
    runner_factories[nkeys] = factory
  end
  return factory(f)
end
api.run_function = function(f, nkeys, ...)
  local keys, argv = split_args(nkeys, ...)
  return finish(xpcall(function() return f(keys, argv) end, on_error))
end
api.run_load = function(f)
  is_loading = true
  function_env_mt.__index = loading_base
  local ok, v = xpcall(f, on_error)
  if kill_msg then unkill() end
  function_env_mt.__index = function_base
  is_loading = false
  return ok, v
end
api.is_function = function(v) return type(v) == 'function' end
api.pack = function(...) return {...} end
-- A reply table as Redis reads it, without metamethods: the type fields, the array part, and whole
-- map/set tables (shared tables stay shared, so a cycle stays a cycle).
api.raw_copy = function(t)
  local seen = {}
  local function copy(v, whole)
    if type(v) ~= 'table' then return v end
    local c = seen[v]
    if c then return c end
    c = {}
    seen[v] = c
    if whole then
      for k, x in raw_next, v do c[copy(k, true)] = copy(x, true) end
      return c
    end
    for _, f in ipairs({'err', 'ok', 'double', 'big_number', 'ignore_error_stats_update'}) do c[f] = raw_get(v, f) end
    c.map, c.set = copy(raw_get(v, 'map'), true), copy(raw_get(v, 'set'), true)
    local i = 1
    while true do
      local x = raw_get(v, i)
      if x == nil then return c end
      c[i] = copy(x, false)
      i = i + 1
    end
  end
  return copy(t, false)
end
return api
"""
)
