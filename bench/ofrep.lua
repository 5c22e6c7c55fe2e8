-- wrk script: OFREP evaluations (POST with a JSON body), formatted once in init.
--   BENCH_MODE=single   POST <url> (.../ofrep/v1/evaluate/flags/KEY) with targetingKey u-0 ... u-N-1 in turn
--   BENCH_MODE=bulk     POST <url> (.../ofrep/v1/evaluate/flags) with targetingKey u-0 ... u-N-1 in turn: every answer a 200
--   BENCH_MODE=bulk304  POST <url> with targetingKey u-0 and If-None-Match: BENCH_ETAG: every answer a 304
-- Usage: BENCH_MODE=single BENCH_UNITS=10000 wrk -t2 -c32 -d10s -s ofrep.lua 'http://127.0.0.1:PORT/ofrep/v1/evaluate/flags/KEY'

local requests = {}
local count = 0
local nextIndex = 0

local function body(unit)
  return '{"context":{"targetingKey":"' .. unit .. '"}}'
end

function init(args)
  local mode = os.getenv("BENCH_MODE") or "single"
  local headers = { ["Content-Type"] = "application/json" }
  if mode == "bulk304" then
    headers["If-None-Match"] = os.getenv("BENCH_ETAG")
    count = 1
    requests[0] = wrk.format("POST", wrk.path, headers, body("u-0"))
  else
    count = tonumber(os.getenv("BENCH_UNITS") or "10000")
    for i = 0, count - 1 do
      requests[i] = wrk.format("POST", wrk.path, headers, body("u-" .. i))
    end
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

-- a 304 is what bulk304 expects; anything but 200/304 is counted by wrk as an error already (>= 400)
