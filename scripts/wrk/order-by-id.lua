-- GET /v1/orders/{id} with ids drawn uniformly from 1..MAX_ID (default 200000, the demo set).
local max_id = tonumber(os.getenv("MAX_ID") or "200000")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
-- TOKEN (a bearer token, e.g. from ./hotpath token) is sent when set
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
function init(args)
  math.randomseed(seed * 7919)
end
function request()
  return wrk.format("GET", "/v1/orders/" .. math.random(1, max_id))
end
