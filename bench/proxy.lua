-- wrk script for proxy mode: GET the URL with a different X-User-Id on each request, cycling through
-- BENCH_UNITS users, so the proxy buckets a unit into the running migration on every request.
-- Usage: BENCH_UNITS=10000 wrk -t2 -c32 -d10s -s proxy.lua 'http://127.0.0.1:PORT/small.json'

local requests = {}
local count = 0
local nextIndex = 0

function init(args)
  count = tonumber(os.getenv("BENCH_UNITS") or "10000")
  for i = 0, count - 1 do
    requests[i] = wrk.format("GET", wrk.path, { ["X-User-Id"] = "u-" .. i })
  end
  nextIndex = math.random(0, count - 1)
end

function request()
  local r = requests[nextIndex]
  nextIndex = nextIndex + 1
  if nextIndex == count then
    nextIndex = 0
  end
  return r
end
