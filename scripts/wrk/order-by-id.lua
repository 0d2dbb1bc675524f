-- GET /v1/orders/{id} with the n-th order of a fresh seed of MAX_ID orders (default 200000, the
-- demo set), n uniform in 1..FIRST (default MAX_ID: FIRST=100 reads the first 100 orders only). Order ids carry their month (docs/data-at-scale.md):
-- month_key << 40 | n, and the seed spreads its orders evenly over 2024-01-01 .. 2025-12-31.
local max_id = tonumber(os.getenv("MAX_ID") or "200000")
local first = tonumber(os.getenv("FIRST") or tostring(max_id))
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
local start, span = 1704067200, 730 * 86400
-- the month key (months since January 2000, UTC) of a unix time
local function month_key(seconds)
  local d = os.date("!*t", seconds)
  return (d.year - 2000) * 12 + d.month - 1
end
local function order_id(n)
  local at = start + math.floor((n - 1) * span / max_id)
  return string.format("%.0f", month_key(at) * 1099511627776 + n)
end
function request()
  return wrk.format("GET", "/v1/orders/" .. order_id(math.random(1, first)))
end
