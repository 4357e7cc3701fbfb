-- The live session's calls (the last part of the library live.py assembles: live_state.lua,
-- live_credit.lua, this file): run, each operation on the state read by live_state.lua.

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
