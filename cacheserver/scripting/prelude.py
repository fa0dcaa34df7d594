"""The Lua side of the sandbox: globals protection, the ``redis`` table, the error handler.

Rules: this chunk runs once per Lua runtime with the real globals; user code never sees them. It gets
Python callbacks as arguments and keeps them in upvalues only, so no Lua code can reach a Python object.
Names and texts follow Redis 7.0 (script_lua.c, eval.c, function_lua.c).
"""

# Chunk name of our own Lua code: the error handler skips its frames to find the user's line.
INTERNAL_CHUNK = "=cacheserver"

PRELUDE = (
    r"""
local py_call, py_pcall, py_sha1, py_log, py_setresp, py_setrepl, py_tick, py_register, py_error, libs = ...
local G = _G
local dbg_getinfo, dbg_sethook = debug.getinfo, debug.sethook
-- Scripts never see the debug library, and without a global one lupa calls into Lua without first
-- looking up debug.traceback as the message handler (our runs have their own: on_error).
G.debug = nil
local rawset, type, error, tostring, setfenv, xpcall, pcall, select, unpack = rawset, type, error, tostring, setfenv, xpcall, pcall, select, unpack
local setmetatable, loadstring, load = setmetatable, loadstring, load
local INTERNAL = '"""
    + INTERNAL_CHUNK
    + r"""'

local function readonly(t, k, v)
  error('Attempt to modify a readonly table', 2)
end
local function nonexistent(t, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
-- Redis 7.0 makes the globals and every library table read-only; a proxy gives the same errors.
local function protect(t, strict)
  local proxy = {}
  local index = t
  if strict then
    index = function(_, k)
      local v = t[k]
      if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
      return v
    end
  end
  setmetatable(proxy, {__index = index, __newindex = readonly, __metatable = false})
  return proxy
end

-- What scripts see as globals (Redis's allow-list), read-only, erroring on unknown names.
local base = {}
for _, name in ipairs({'assert', 'collectgarbage', 'error', 'gcinfo', 'getmetatable', 'ipairs', 'next',
    'pairs', 'rawequal', 'rawget', 'rawset', 'select', 'setmetatable', 'tonumber', 'tostring',
    'type', 'unpack', '_VERSION'}) do
  base[name] = G[name]
end
for _, name in ipairs({'coroutine', 'string', 'table', 'math'}) do base[name] = protect(G[name]) end
-- Library functions and redis.call are Python callables, C functions to Lua: a script's tail call to
-- them keeps its frame, so their errors can name the script's line (see on_error).
for name, lib in pairs(libs) do
  local t = {}
  for fname, f in pairs(lib) do t[fname] = f end
  base[name] = protect(t)
end

local function new_env()
  local env = {}
  setmetatable(env, {__index = base, __newindex = readonly, __metatable = false})
  return env
end

-- One environment for every EVAL script; KEYS and ARGV are set in it before each run.
local eval_env = new_env()
base._G = eval_env

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
  if positioned then
    local info = level > 0 and dbg_getinfo(level + 1, 'Sl')
    if info and info.what ~= 'C' and info.source ~= INTERNAL and info.currentline > 0 then
      return info.short_src .. ':' .. info.currentline .. ': ' .. msg
    end
    return msg
  end
  return {err = msg}
end

-- Redis 7.0's pcall (luaRedisPcall): an error table caught comes back as its message string.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = lua_error_value(e, 0) end
  if type(e) == 'table' and type(e.err) == 'string' then e = e.err end
  return false, e
end
base.pcall = function(f, ...)
  if type(f) ~= 'function' or dbg_getinfo(f, 'S').what == 'C' then
    -- Called straight from pcall, a C function: no line to name, as in Redis.
    return pcall_result(pcall(f, ...))
  end
  local n, args = select('#', ...), {...}
  return pcall_result(xpcall(function() return f(unpack(args, 1, n)) end, function(e) return lua_error_value(e, 3) end))
end
base.xpcall = function(f, handler)
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
local function_env = new_env()
rawset(function_env, 'redis', function_api)
rawset(function_env, '_G', function_env)

setmetatable(base, {__index = nonexistent, __newindex = readonly, __metatable = false})

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
  rawset(eval_env, 'KEYS', keys)
  rawset(eval_env, 'ARGV', argv)
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
    local src = 'local f, rawset, env, xpcall, on_error, finish = ...\n' ..
      'return function(' .. params .. (nkeys > 0 and ', ...)' or '...)') ..
      ' rawset(env, "KEYS", {' .. params .. '}) rawset(env, "ARGV", {...})' ..
      ' return finish(xpcall(f, on_error)) end'
    local chunk = loadstring(src, INTERNAL)
    factory = function(fn) return chunk(fn, rawset, eval_env, xpcall, on_error, finish) end
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
  local ok, v = xpcall(f, on_error)
  if kill_msg then unkill() end
  is_loading = false
  return ok, v
end
api.is_function = function(v) return type(v) == 'function' end
api.pack = function(...) return {...} end
return api
"""
)
