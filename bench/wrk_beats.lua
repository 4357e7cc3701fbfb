-- wrk script for bench/heartbeat.py: heartbeats (or the yardstick's beats) over kept-alive
-- connections, as the mini-program's wx.request sends them.
--
--   wrk -t N -c N -s bench/wrk_beats.lua URL -- SESSIONS_FILE N SEQ_BASE MODE
--
-- One connection per thread, so the answer wrk hands to response() belongs to the request this
-- thread sent last. SESSIONS_FILE holds "session_id token" lines; thread k takes every N-th.
-- MODE "ours" posts to /api/v1/sessions/{id}/heartbeats and answers the attention checks
-- (随机弹题) that come back, as a trainee would, in that session's next beat; "minimal" posts
-- the yardstick's beats (HMAC-signed tokens, no attention checks) to the same path, so that
-- the server runs them where it runs live beats (on its event loop, backend/rsgi_bridge.py).
-- done() prints one JSON line for the benchmark to read.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[2])
  local seq_base = tonumber(args[3])
  mode = args[4]
  sessions = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then
      local sid, token = line:match("^(%d+) (%S+)$")
      table.insert(sessions, {sid = sid, auth = "Bearer " .. token, seq = seq_base})
    end
    i = i + 1
  end
  index = 0
  current = nil
  codes = {}
  challenges = 0
  answers = 0
end

function request()
  index = index % #sessions + 1
  local s = sessions[index]
  current = s
  s.seq = s.seq + 1
  local path = "/api/v1/sessions/" .. s.sid .. "/heartbeats"
  local answer = ""
  if s.answer then
    answer = ',"challenge_answer":' .. s.answer
    s.answer = nil
    answers = answers + 1
  end
  -- The playback position moves on by a beat interval per beat, within the 8-hour lesson.
  local body = '{"seq":' .. s.seq .. ',"client_ts":0,"position_s":' .. (s.seq * 30) % 28800 ..
    ',"playing":true' .. answer .. '}'
  return wrk.format("POST", path,
    {["Authorization"] = s.auth, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if mode ~= "minimal" and current and status == 200 then
    local id, code = body:match('"challenge":{"id":(%d+),"kind":"code","prompt":"[^"]-(%d%d%d%d)')
    if id then
      challenges = challenges + 1
      current.answer = '{"id":' .. id .. ',"answer":"' .. code .. '"}'
    end
  end
end

function done(summary, latency, requests)
  local merged, checks, answered = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("codes")) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + n
    end
    checks = checks + thread:get("challenges")
    answered = answered + thread:get("answers")
  end
  local parts = {}
  for status, n in pairs(merged) do parts[#parts + 1] = '"' .. status .. '":' .. n end
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"statuses":{%s},"challenges":%d,"answers":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, table.concat(parts, ","), checks, answered))
end
