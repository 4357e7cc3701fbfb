-- The live session's credit and checks (the second part of the library live.py assembles:
-- live_state.lua, this file, live_session.lua): what a beat credits, holds, opens and settles.

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


