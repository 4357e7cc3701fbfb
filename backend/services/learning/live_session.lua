-- Live state of one learning session in Redis. Each call is one atomic round trip that decides
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

local function split(entry)
  local sep = string.find(entry, ':', 1, true)
  return tonumber(string.sub(entry, 1, sep - 1)), tonumber(string.sub(entry, sep + 1))
end

-- The first second of the next China-time day after second t (tz = UTC offset in seconds).
local function day_end(t, tz) return (floor((t + tz) / 86400) + 1) * 86400 - tz end

-- Append [a, b) to the held list, extending its last span when contiguous.
local function hold(a, b)
  local last = redis.call('LINDEX', HELD, -1)
  if last then
    local la, lb = split(last)
    if lb == a then
      redis.call('LSET', HELD, -1, la .. ':' .. b)
      return
    end
  end
  if redis.call('RPUSH', HELD, a .. ':' .. b) == 1 then redis.call('EXPIRE', HELD, ttl) end
end

-- Add [a, b) to this call's new spans, extending the last one when contiguous on the same day.
local function add_span(s, a, b)
  local last = s.new[#s.new]
  if last and last[2] == a and day_end(last[1], s.tz) == day_end(a, s.tz) then
    last[2] = b
  else
    s.new[#s.new + 1] = {a, b}
  end
end

-- Take up to n seconds of China-time day d's allowance (across sessions and projects): the
-- per-trainee counter beside the watermark, or the session's own count for its current day if
-- that is higher (the counter was lost). The counter is raised first and the excess given back:
-- one command on an ordinary beat, and EXPIRE only when it was created.
local function take_day(s, d, n)
  local key = format('%s:d%d', WM, d) -- (numbers as text with %d: see PACKED_FORMAT)
  local v = redis.call('INCRBY', key, format('%d', n))
  if v == n then redis.call('EXPIRE', key, 2 * 86400) end
  local room = n
  if s.cap > 0 then
    local used = v - n
    if d == s.dday then used = max(used, s.dused) end
    room = max(0, min(n, s.cap - used))
    if room < n then v = redis.call('INCRBY', key, room - n) end
  end
  if d == s.dday then s.dused = max(s.dused + room, v) end
  return room
end

-- Credit [a, b): never before the watermark, only within the project's dates, never more
-- than the lesson has left, never past the daily maximum; split at China-time midnights.
local function credit(s, a, b, out)
  a = max(a, s.wm, s.from)
  b = min(b, s['until'])
  if b <= a then return 0 end
  local n = min(b - a, s.rem)
  if n <= 0 then return 0 end
  b = a + n
  local x, given = a, 0
  while x < b do
    local y = min(b, day_end(x, s.tz))
    local d = floor((x + s.tz) / 86400)
    local room = take_day(s, d, y - x)
    if room < y - x and out then out.capped = 1 end
    if room > 0 then
      add_span(s, x, x + room)
      given = given + room
      s.wm = x + room
    end
    x = y
  end
  s.rem = s.rem - given
  s.cred = s.cred + given
  return given
end

-- Nothing is open that makes the time wait.
local function clear(s) return s.cs == 'none' and s.fs == 'none' end

-- The interval since the previous accepted beat earns credit only if it was playing and short.
local function interval(s, t, out)
  local gap = t - s.last
  if gap <= 0 or gap > s.gap or s.play ~= 1 then return end
  if clear(s) then
    credit(s, s.last, t, out)
  else
    -- An attention check or a face check is open: the time waits for it.
    hold(s.last, t)
  end
end

-- Credit the held time once nothing is open any more.
local function release(s, out)
  if not clear(s) then return end
  for _, entry in ipairs(redis.call('LRANGE', HELD, 0, -1)) do
    local a, b = split(entry)
    credit(s, a, b, out)
  end
  redis.call('DEL', HELD)
end

local function claim_face(s)
  s.fs = 'issuing'
  s.fclaim = now
end

local function claim_check(s)
  s.cs = 'issuing'
  s.cclaim = now
end

-- The open attention check's row as it stands after this call, for the drain to write: every
-- event carries all of it, so the drain can write events in any order and more than once.
local function check_event(s, outcome, answered, given)
  redis.call('XADD', STREAM, '*', 'k', 'ac', 'i', s.cid, 's', s.id, 't', s.tr, 'kd', s.ckd,
    'qn', s.cq, 'x', s.cans, 'ia', s.cis, 'ea', s.cexp, 'aa', answered, 'an', given,
    'oc', outcome)
end

-- Open the next prepared check now; once none is left the caller issues one (out.due).
local function open_check(s, out)
  local entry = redis.call('LPOP', PREP)
  if not entry then
    claim_check(s)
    out.due = 1
    return
  end
  local id, kind, qid, expected, key, js = match(entry,
    '^(%d+)|(%a+)|(%d+)|([^|]*)|([^|]*)|(.*)$')
  s.cs = 'pending'
  s.cid = tonumber(id)
  s.cexp = now + s.cwin
  s.cis = now
  s.ckd, s.cq, s.cans, s.ckey = kind, qid, expected, key
  s.cjson = js .. ',"expires_ts":' .. s.cexp .. '000}'
  s.refresh = true
  check_event(s, 'pending', 0, '')
end

local function close_check(s)
  s.cid = 0
  s.cexp = 0
  s.cjson = ''
  s.ckd, s.cq, s.cans, s.ckey = '', '0', '', ''
end

-- Time waited for the check in vain: forfeit what it held and ask again at once.
local function ask_again(s, out)
  redis.call('DEL', HELD)
  s.last = max(s.last, now)
  open_check(s, out)
end

-- An answer to the open check (an answer to any other id is ignored): right and in time
-- releases the held time, else it is forfeited and a new check follows.
-- ARGV: the check id, the answer as given, its option letters, and the answer stripped.
local function settle(s, out, id, given, letters, stripped)
  if s.cs ~= 'pending' or s.cid ~= id then return end
  local outcome = 'failed'
  if now > s.cexp then
    outcome = 'expired'
  elseif (s.ckd == 'question' and letters == s.ckey) or (s.ckd == 'code' and stripped == s.ckey)
  then
    outcome = 'passed'
  end
  check_event(s, outcome, now, given)
  close_check(s)
  s.refresh = true
  if outcome == 'passed' then
    s.cs = 'none'
    if s.cint > 0 then
      -- Random around the interval (the factor comes from the caller), so nobody can predict it.
      s.cnext = now + max(1, floor(s.cint * tonumber(ARGV[7]) + 0.5))
    else
      s.cnext = 0
    end
    release(s, out) -- unless a face check still holds the time
  else
    ask_again(s, out)
  end
end

local function accept(s, seq, t, pos, playing, out)
  s.seq = seq
  if t < s.last then return end -- placed before an accepted beat: acknowledged, earns nothing
  interval(s, t, out)
  s.last = t
  s.play = playing
  s.pos = pos
  if s.cs == 'none' and s.cnext > 0 and t >= s.cnext then open_check(s, out) end
  if s.fs == 'none' and s.fnext > 0 and t >= s.fnext then
    claim_face(s)
    out.fdue = 1
  end
end

local function state(s, out)
  out.tr = tonumber(s.tr)
  out.cred = s.cred
  out.seq = s.seq
  out.rem = s.rem
  out.last = s.last
  out.pos = s.pos
  out.play = s.play
  if s.cs == 'pending' then out.chk = s.cjson end
  if s.fs == 'pending' then
    out.fid = s.fid
    out.fexp = s.fexp
    out.fvid = s.fvid
  end
  return out
end


-- One call: KEYS and ARGV as described at the top.
local function run(keys, argv)
  if not format then tonumber, rawget, rawset, unpack, ipairs, format, match, floor, max, min =
    stdlib() end
  KEYS, ARGV = keys, argv
  H, STREAM, HELD, WM, PREP = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
  op, trainee, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
  if op == 'beat' then
    trainee = redis.call('GET', KEYS[4])
    if not trainee then return 'unauthorized' end
    WM = ARGV[2] .. trainee
  end

  if op == 'create' or op == 'rebuild' then
    -- ARGV[5] watermark from the database, ARGV[6] n, ARGV[7..6+n] the prepared attention
    -- checks, then field/value pairs.
    if op == 'rebuild' and redis.call('EXISTS', H) == 1 then return reply({r = 'exists'}) end
    redis.call('DEL', H, HELD, PREP)
    local n = tonumber(ARGV[6])
    if n > 0 then
      redis.call('RPUSH', PREP, unpack(ARGV, 7, 6 + n))
      redis.call('EXPIRE', PREP, ttl)
    end
    -- The hot fields packed ('h', 'k'), the others each its own field.
    local s, fields = {}, {}
    for i = 7 + n, #ARGV - 1, 2 do
      local k, v = ARGV[i], ARGV[i + 1]
      if PACKED_FIELD[k] then
        s[k] = v
      else
        fields[#fields + 1] = k
        fields[#fields + 1] = v
      end
    end
    for _, k in ipairs(HOT) do
      if s[k] == nil then s[k] = DEFAULT[k] or 0 end
    end
    redis.call('HSET', H, 'h', packed(s), 'k', fixed(s), 'st', MOVED, unpack(fields))
    local wm = tonumber(redis.call('GET', WM)) or 0
    redis.call('SET', WM, max(tonumber(ARGV[5]), wm), 'EX', ttl)
    redis.call('EXPIRE', H, ttl)
    return reply({r = 'ok'})
  end

  local s = load()
  if s == nil then return reply({r = 'missing'}) end
  if s.tr ~= trainee then return reply({r = 'not_found'}) end

  if op == 'beat' then
    -- ARGV[5] 'live' or 'batch', ARGV[6] the beats as "seq,time,position,playing;..." (one
    -- argument keeps the call cheap to send): time is the server second for a live beat, the
    -- client's epoch ms for a buffered one. ARGV[7] a random factor in [0.5, 1.5] for the next
    -- check's moment, ARGV[8..11] an answer to the open check (see settle; '' for none).
    if s.st ~= 'active' then return reply({r = s.st}) end
    local kind = ARGV[5]
    local beats, prev = {}, nil
    for seq, t, pos, play in string.gmatch(ARGV[6], '(%d+),(%d+),(%d+),(%d)') do
      seq = tonumber(seq)
      if prev ~= nil and seq <= prev then return reply({r = 'batch_seq_not_increasing'}) end
      prev = seq
      if seq > s.seq then
        t = tonumber(t)
        if kind == 'batch' then t = floor((t + s.off) / 1000) end
        beats[#beats + 1] = {seq, t, tonumber(pos), tonumber(play)}
      end
    end
    -- Built whole with the fields state sets (so it never grows field by field).
    local out = {r = 'ok', due = 0, fdue = 0, tr = 0, cred = 0, seq = 0, rem = 0, last = 0,
      pos = 0, play = 0}
    if ARGV[8] ~= '' then settle(s, out, tonumber(ARGV[8]), ARGV[9], ARGV[10], ARGV[11]) end
    if #beats == 0 then
      save(s)
      return reply(state(s, out)) -- a replay: same answer, no credit
    end
    if kind == 'batch' then
      if now - s.last > s.win then return reply({r = 'batch_too_late'}) end
      for _, b in ipairs(beats) do
        if b[2] < s.t0 - s.tol or b[2] > now + s.tol then
          -- The refused batch's numbers count as used: sent again once its future-dated beats
          -- have come to look plausible, it is a replay and credits nothing.
          s.seq = beats[#beats][1]
          save(s)
          return reply({r = 'batch_clock_skew'})
        end
        b[2] = min(max(b[2], s.t0), now)
      end
    end
    if s.cs == 'pending' and now > s.cexp then
      -- Unanswered in its window: the held time is forfeited and a new check follows at once.
      out.expired = s.cid
      check_event(s, 'expired', 0, '')
      close_check(s)
      ask_again(s, out)
    elseif s.cs == 'issuing' and now - s.cclaim > 30 then
      claim_check(s) -- the host that claimed the check died before issuing it
      out.due = 1
    end
    if s.fs == 'pending' and now > s.fexp then
      -- No face check result in its window: the held time is forfeited, a new check is due.
      out.fexpired = s.fid
      redis.call('DEL', HELD)
      s.last = max(s.last, now)
      s.fid = 0
      s.fvid = ''
      claim_face(s)
      out.fdue = 1
    elseif s.fs == 'issuing' and now - s.fclaim > 30 then
      claim_face(s) -- not issued (WeChat busy, or the host died): try again
      out.fdue = 1
    end
    for _, b in ipairs(beats) do accept(s, b[1], b[2], b[3], b[4], out) end
    save(s)
    return reply(state(s, out))
  end

  if op == 'challenge' then
    -- ARGV[5] check id, ARGV[6] expiry (epoch s), ARGV[7] the public challenge as JSON,
    -- ARGV[8..11] its kind, question id (0: none), expected answer and grading key. Its row is
    -- written by the caller.
    if s.st ~= 'active' or s.cs ~= 'issuing' then return reply({r = 'stale'}) end
    s.cs = 'pending'
    s.cid = tonumber(ARGV[5])
    s.cexp = tonumber(ARGV[6])
    s.cjson = ARGV[7]
    s.cis = now
    s.ckd, s.cq, s.cans, s.ckey = ARGV[8], ARGV[9], ARGV[10], ARGV[11]
    save(s, true)
    return reply({r = 'ok'})
  end

  if op == 'face_open' then
    -- ARGV[5] face check id, ARGV[6] its expiry (epoch s), ARGV[7] WeChat's verify_id.
    if s.st ~= 'active' or s.fs ~= 'issuing' then return reply({r = 'stale'}) end
    -- Time held since the claim (WeChat was busy, or Redis lost the previous check) had no check
    -- to cover it: only the time from now on can be released by this one.
    redis.call('DEL', HELD)
    s.last = max(s.last, now)
    s.fs = 'pending'
    s.fid = tonumber(ARGV[5])
    s.fexp = tonumber(ARGV[6])
    s.fvid = ARGV[7]
    save(s, true)
    return reply({r = 'ok'})
  end

  if op == 'face_resolve' then
    -- ARGV[5] face check id, ARGV[6] 'pass' or 'fail', ARGV[7] when the next random one is due.
    if s.st ~= 'active' or s.fs ~= 'pending' or s.fid ~= tonumber(ARGV[5]) then
      return reply({r = 'stale'})
    end
    local out = {r = 'ok'}
    s.fid = 0
    s.fexp = 0
    s.fvid = ''
    if ARGV[6] == 'pass' then
      s.fs = 'none'
      s.fnext = tonumber(ARGV[7])
      release(s, out) -- unless an attention check still holds the time
    else
      -- Failed: the time since the check was issued is forfeited; the caller issues a new one.
      redis.call('DEL', HELD)
      s.last = max(s.last, now)
      claim_face(s)
    end
    save(s, true)
    return reply(state(s, out))
  end

  if op == 'close' then
    -- ARGV[5] new status, ARGV[6] 1 to credit the interval up to now (check-out),
    -- ARGV[7] only close if the last beat is older than this second (0: always),
    -- ARGV[8] the final position ('' to keep).
    if s.st ~= 'active' then return reply(state(s, {r = 'closed', st = s.st, ended = s.ended})) end
    local cutoff = tonumber(ARGV[7])
    if cutoff > 0 and s.last >= cutoff then return reply(state(s, {r = 'alive'})) end
    local out = {r = 'ok'}
    if ARGV[6] == '1' and now > s.last then
      interval(s, now, out)
      s.last = now
    end
    if ARGV[8] ~= '' then s.pos = tonumber(ARGV[8]) end
    if s.cs ~= 'none' or s.fs ~= 'none' then
      out.forfeit = s.cid -- an open check dies with its session, and the held time with it
      if s.cs == 'pending' then check_event(s, 'expired', 0, '') end
      close_check(s)
      redis.call('DEL', HELD)
      s.cs = 'none'
      s.fs = 'none'
    end
    redis.call('DEL', PREP)
    s.st = ARGV[5]
    s.ended = s.last
    save(s, true)
    out.st = s.st
    out.ended = s.ended
    return reply(state(s, out))
  end

  return reply({r = 'unknown_op'})
end
