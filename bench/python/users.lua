-- wrk: each request as another of 10 000 users, so the middleware's unit and outcomes vary as in service
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/hello", { ["X-User-Id"] = "user-" .. (counter % 10000) })
end
