-- GET /v1/customers/{id}/orders (first page: 20 orders with their items), ids uniform in 1..MAX_ID.
local max_id = tonumber(os.getenv("MAX_ID") or "10000")
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
  math.randomseed(seed * 104729)
end
function request()
  return wrk.format("GET", "/v1/customers/" .. math.random(1, max_id) .. "/orders")
end
