-- wrk script for bench/wrk.py: sends the requests listed in a file, in turn and over again, for the
-- phase's time (wrk's -d); each thread also stops after a number of answers, a bound on the count.
--
-- Arguments (after `--` on wrk's command line): the requests file, the most answers for each
-- thread, the headers every request carries ("Name: value" separated by "|"), and the number of
-- threads.
-- The file has one request a line: METHOD <tab> PATH <tab> BODY <tab> HEADERS ("Name: value|…").
-- At the end one line "WRK-RESULT {json}" gives the counts and latency percentiles (microseconds).

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local function split(text, separator)
  -- Every field, empty ones included (gmatch with "*" would add spurious empty matches in Lua 5.1).
  local parts, start = {}, 1
  while true do
    local at = string.find(text, separator, start, true)
    if not at then
      table.insert(parts, string.sub(text, start))
      return parts
    end
    table.insert(parts, string.sub(text, start, at - 1))
    start = at + 1
  end
end

local function parse_headers(text, into)
  for pair in string.gmatch(text or "", "[^|]+") do
    local name, value = string.match(pair, "^%s*([^:]+):%s*(.*)$")
    if name then
      into[name] = value
    end
  end
  return into
end

function init(args)
  local common = parse_headers(args[3], {})
  limit = tonumber(args[2])
  sent, answered = 0, 0
  requests = {}
  for line in io.lines(args[1]) do
    local method, path, body, extra = unpack(split(line, "\t"))
    local headers = parse_headers(extra, {})
    for name, value in pairs(common) do
      headers[name] = value
    end
    table.insert(requests, wrk.format(method, path, headers, body ~= "" and body or nil))
  end
  -- Each thread starts at its own place in the list, so the threads do not send the same sequence.
  position = (id * math.floor(#requests / tonumber(args[4]))) % #requests
end

function request()
  position = position % #requests + 1
  sent = sent + 1
  return requests[position]
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
