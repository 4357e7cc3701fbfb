-- Live state of one learning session in Redis (the first part of the library live.py assembles:
-- this file, live_credit.lua, live_session.lua). Each call is one atomic round trip that decides
-- the credit and appends every newly credited span to the credit stream, from which the drain
-- (backend/drainer.py) writes them to the database; the script itself never waits for it.
--
-- KEYS[1] session hash   KEYS[2] the credit stream of the trainee's partition
-- KEYS[3] spans held while an attention check or a face check is open
-- KEYS[4] the trainee's watermark: every second before it is already credited, so no second is
-- ever credited twice.
-- KEYS[5] the session's prepared attention checks, "id|kind|question id|expected|key|JSON" each
-- (the public challenge without its closing brace and expiry): the script opens, grades and
-- settles them itself and appends every change of a check to the credit stream, from which the
-- drain writes the attention_check rows. Once they run out, the check is issued by the caller.
-- ARGV[1] op   ARGV[2] trainee id   ARGV[3] server time (whole epoch seconds)   ARGV[4] key TTL
-- (garbage collection only; credit never depends on it)   ARGV[5..] per op.
--
-- A beat also authenticates, in the same round trip: its KEYS[4] is the bearer token's key
-- (whose value is the trainee id) and its ARGV[2] the watermark key without the trainee id,
-- which is known only once the token is read (every key carries the partition's hash tag, so
-- on a Redis Cluster they all live in one slot).
--
-- A Redis Functions library (live.py loads it once with FUNCTION LOAD and calls it with FCALL):
-- the tables and closures below are built when it is loaded, not on every call as a script's
-- would be. Where Functions are missing (the embedded stand-in), live.py runs it with EVAL.

-- Set by run at the start of every call: the library's functions share these upvalues, and
-- Redis runs one call at a time.
local KEYS, ARGV, H, STREAM, HELD, WM, PREP, op, trainee, now, ttl

-- The standard library's functions as upvalues, cheaper than a global lookup at each use; bound
-- by the first call, as a library's code runs at load without them. (stdlib is defined before
-- the locals, so its names are still the globals.)
local function stdlib()
  return tonumber, rawget, rawset, unpack, ipairs, string.format, string.match, math.floor,
    math.max, math.min
end
local tonumber, rawget, rawset, unpack, ipairs, format, match, floor, max, min

-- The session hash keeps what a beat reads in two packed fields (one HMGET, one value to parse):
-- 'h' what calls change, 'k' what is fixed at check-in (the device last: it is the client's
-- text), each "v1|v2|...". The other fields stay separate, read only when a call first reads
-- one of them (a batch, an open check, a close). 'tr' stays separate, and 'st' holds MOVED: a
-- host still running the version before this layout (the function is named by its code, so
-- both run during a rolling deploy) reads that as the session's status and refuses the call
-- unchanged, instead of crediting from the stale separate fields.
local PACKED = {
  'st', 'last', 'seq', 'play', 'pos', 'cred', 'rem', 'cs', 'cnext', 'fs', 'fnext', 'dday', 'dused'}
local FIXED = {'id', 'ls', 'pj', 'gap', 'from', 'until', 'tz', 'cap', 'dev'}
local PACKED_FIELD = {}
for i = 1, #PACKED do PACKED_FIELD[PACKED[i]] = true end -- (ipairs is not there at load)
for i = 1, #FIXED do PACKED_FIELD[FIXED[i]] = true end
-- (Written out: a library's code runs at load without the string library.)
local PACKED_MATCH = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|' ..
  '([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$'
local FIXED_MATCH = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$'
-- Whole numbers written with %d: Lua's own number-to-text (%.14g) is several times dearer.
local PACKED_FORMAT = '%s|%d|%d|%d|%d|%d|%d|%s|%d|%s|%d|%d|%d'
local FIXED_FORMAT = '%s|%s|%s|%d|%d|%d|%d|%d|%s'
local MOVED = 'packed'
-- The hot fields as the previous layout kept them (each its own field), read when 'h' is
-- missing: state that version wrote, converted by this call's save.
local HOT = {
  'tr', 'st', 'id', 'ls', 'pj', 'dev', 'last', 'seq', 'play', 'pos', 'cred', 'rem', 'gap', 'from',
  'until', 'tz', 'cap', 'dday', 'dused', 'cs', 'cnext', 'fs', 'fnext'}
local COLD = {
  'cid', 'cexp', 'cjson', 'cclaim', 'cint', 'cwin', 'ckd', 'cq', 'cans', 'ckey', 'cis', 'fid',
  'fexp', 'fvid', 'fclaim', 'ended', 't0', 'off', 'tol', 'win'}
local NUMERIC = {
  t0 = true, off = true, from = true, ['until'] = true, tz = true, last = true, seq = true,
  play = true, pos = true, cred = true, rem = true, gap = true, tol = true, win = true,
  cnext = true, cid = true, cexp = true, cclaim = true, ended = true, cint = true, cwin = true,
  cis = true, fnext = true, fid = true, fexp = true, fclaim = true, cap = true, dused = true,
  dday = true}
local DEFAULT = {fs = 'none', fvid = '', dev = '', cjson = '', ckd = '', cq = '0', cans = '',
  ckey = ''} -- state written before face checks and prepared checks existed
-- The separate fields a call may change (the packed ones are compared as one value).
local SAVED = {
  'cid', 'cexp', 'cjson', 'cclaim', 'ended', 'ckd', 'cq', 'cans', 'ckey', 'cis', 'fid', 'fexp',
  'fvid', 'fclaim'}

-- A beat's answer is a short string, cheaper than JSON to read on the hot path:
-- "result|trainee|credited|seq|due|expired check|face check due|expired face check|
-- open face check|its expiry|its verify_id|daily cap reached|challenge JSON", or the result
-- alone when refused. Every other operation answers JSON.
local function reply(t)
  if op ~= 'beat' then return cjson.encode(t) end
  if t.r ~= 'ok' then return t.r end
  return format('%s|%d|%d|%d|%d|%d|%d|%d|%d|%d|%s|%d|%s', t.r, t.tr, t.cred, t.seq, t.due,
    t.expired or 0, t.fdue or 0, t.fexpired or 0, t.fid or 0, t.fexp or 0, t.fvid or '',
    t.capped or 0, t.chk or '')
end

-- s.o holds the separate fields as stored, so that save writes back only what changed.
local function read(s, fields)
  local vals = redis.call('HMGET', H, unpack(fields))
  local o = s.o
  for i = 1, #fields do
    local k, v = fields[i], vals[i]
    if not v then v = DEFAULT[k] end
    if NUMERIC[k] then v = tonumber(v) or 0 end
    o[k] = v
    if rawget(s, k) == nil then rawset(s, k, v) end -- unless already set by this call
  end
  return vals
end

local COLD_ONCE = {__index = function(s, k)
  if rawget(s, 'cold') then return nil end
  rawset(s, 'cold', true)
  read(s, COLD)
  return rawget(s, k)
end}

-- The packed fields 'h' and 'k' as the text to store.
local function packed(s)
  return format(PACKED_FORMAT, s.st, s.last, s.seq, s.play, s.pos, s.cred, s.rem, s.cs,
    s.cnext, s.fs, s.fnext, s.dday, s.dused)
end

local function fixed(s)
  return format(FIXED_FORMAT, s.id, s.ls, s.pj, s.gap, s['from'], s['until'], s.tz,
    s.cap, s.dev)
end

-- The session from its packed fields: one table built whole (written out, as this runs on
-- every call), so it never grows field by field.
local function unpack_hot(tr, h, k)
  local st, last, seq, play, pos, cred, rem, cs, cnext, fs, fnext, dday, dused =
    match(h, PACKED_MATCH)
  local id, ls, pj, gap, from, till, tz, cap, dev = match(k, FIXED_MATCH)
  return {o = {}, new = {}, refresh = false, cold = false, wm = 0, wm0 = 0, tr = tr, h = h,
    st = st, last = tonumber(last), seq = tonumber(seq), play = tonumber(play),
    pos = tonumber(pos), cred = tonumber(cred), rem = tonumber(rem), cs = cs,
    cnext = tonumber(cnext), fs = fs, fnext = tonumber(fnext), dday = tonumber(dday),
    dused = tonumber(dused), id = id, ls = ls, pj = pj, gap = tonumber(gap),
    ['from'] = tonumber(from), ['until'] = tonumber(till), tz = tonumber(tz),
    cap = tonumber(cap), dev = dev}
end

local function load()
  local tr, h, k = unpack(redis.call('HMGET', H, 'tr', 'h', 'k'))
  if not tr then return nil end -- no trainee: no session
  local s
  if h and k then
    s = unpack_hot(tr, h, k)
  else
    s = {o = {}, new = {}, refresh = false, cold = false}
    read(s, HOT) -- written by the version before the packed fields: save converts it
  end
  s.wm = tonumber(redis.call('GET', WM)) or 0
  s.wm0 = s.wm
  return setmetatable(s, COLD_ONCE)
end

-- Append the spans this call credited to the stream, with the session's state after the call
-- (seq, position, last beat, playing: where a session Redis loses is rebuilt from): one entry
-- per span, so the drain can write each exactly once (it clips what a stored span covers).
-- One field "session|trainee|lesson|project|start|end|seq|position|last|playing|device" (the
-- device last: it is the client's text), read by SpanRow.from_entry: one value to store,
-- send and parse instead of eleven field-value pairs.
local function publish(s)
  for _, span in ipairs(s.new) do
    redis.call('XADD', STREAM, '*', 'v', format('%s|%s|%s|%s|%d|%d|%d|%d|%d|%d|%s', s.id,
      s.tr, s.ls, s.pj, span[1], span[2], s.seq, s.pos, s.last, s.play, s.dev or ''))
  end
end

-- Write back what changed. Expiries are refreshed when the keys are created and at every
-- challenge and close, so an ordinary beat stays cheap.
local function save(s, refresh)
  publish(s)
  local args, o = nil, s.o
  for i = 1, #SAVED do
    local k = SAVED[i]
    local v = rawget(s, k) -- a field never read nor set was never changed
    if v ~= nil and v ~= o[k] then
      args = args or {}
      args[#args + 1] = k
      args[#args + 1] = v
    end
  end
  local h, was = packed(s), rawget(s, 'h')
  if not was then
    -- Converted from the separate fields: the packed ones replace them, and a host of the
    -- previous version now refuses the session (MOVED) instead of reading stale fields.
    args = args or {}
    args[#args + 1] = 'k'
    args[#args + 1] = fixed(s)
    args[#args + 1] = 'st'
    args[#args + 1] = MOVED
    redis.call('HDEL', H, 'id', 'ls', 'pj', 'dev', 'last', 'seq', 'play', 'pos', 'cred', 'rem',
      'gap', 'from', 'until', 'tz', 'cap', 'dday', 'dused', 'cs', 'cnext', 'fs', 'fnext')
  end
  if args then
    redis.call('HSET', H, 'h', h, unpack(args))
  elseif h ~= was then
    redis.call('HSET', H, 'h', h) -- an ordinary beat: no table to build
  end
  if s.wm > s.wm0 then redis.call('SET', WM, format('%d', s.wm), 'EX', ARGV[4]) end
  if refresh or s.refresh then
    redis.call('EXPIRE', H, ttl)
    redis.call('EXPIRE', HELD, ttl)
    redis.call('EXPIRE', PREP, ttl)
  end
end

