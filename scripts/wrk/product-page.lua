-- GET /v1/products/{id}/page for random ids in 1..MAX_ID (default 1000, the demo catalogue);
-- counts pages by what they lacked: complete, degraded (a part stale or left out).
local max_id = tonumber(os.getenv("MAX_ID") or "1000")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  complete = 0
  degraded = 0
  failed = 0
end

function request()
  return wrk.format("GET", "/v1/products/" .. math.random(1, max_id) .. "/page")
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
  elseif string.find(body, '"degraded":[]', 1, true) then
    complete = complete + 1
  else
    degraded = degraded + 1
  end
end

function done(summary, latency, requests)
  local c, d, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("complete")
    d = d + thread:get("degraded")
    f = f + thread:get("failed")
  end
  io.write(string.format("pages: %d complete, %d degraded, %d not 200\n", c, d, f))
end
