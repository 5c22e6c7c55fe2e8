-- wrk script: GET the benchmarked path with a different unit on each request, cycling through a
-- fixed set of BENCH_UNITS units (u-0 ... u-N-1), so a migration's bucketing runs on every read.
-- The requests are formatted once in init; request() only hands the next one out.
-- Usage: BENCH_UNITS=10000 wrk -t2 -c32 -d10s -s reads.lua 'http://127.0.0.1:PORT/v1/settings/KEY'

local requests = {}
local count = 0
local nextIndex = 0

function init(args)
  count = tonumber(os.getenv("BENCH_UNITS") or "10000")
  local path = wrk.path
  for i = 0, count - 1 do
    requests[i] = wrk.format("GET", path .. "?unit=u-" .. i)
  end
  -- each wrk thread starts at a different place in the cycle
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
