-- GET /v1/orders/{id} with the n-th order of a fresh seed of SEED_ORDERS orders (default 200000,
-- the demo set), n uniform in 1..MAX_ID (the working set; default all of them; FIRST is another
-- name for it). Order ids carry their month (docs/data-at-scale.md): month_key << 40 | n, and the
-- seed spreads its orders evenly over 2024-01-02 .. 2025-12-31, so the seed's size decides the ids.
local seeded = tonumber(os.getenv("SEED_ORDERS") or "200000")
local first = tonumber(os.getenv("FIRST") or os.getenv("MAX_ID") or tostring(seeded))
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
-- the seed's time line (store/seed/SeedRun): the 730 days before 2026-01-01, so from 2024-01-02
-- (2024 has 366 days); a row's time is a random offset inside its slot, so the orders whose slot
-- straddles a month's end (about one in 20000) may sit in either month: they are not asked for,
-- so that every answer is a 200
local start, span = 1704153600, 730 * 86400
-- the month key (months since January 2000, UTC) of a unix time
local function month_key(seconds)
  local d = os.date("!*t", seconds)
  return (d.year - 2000) * 12 + d.month - 1
end
local function order_id(n)
  local at = start + math.floor((n - 1) * span / seeded)
  return string.format("%.0f", month_key(at) * 1099511627776 + n)
end
local function straddles(n)
  local from = start + math.floor((n - 1) * span / seeded)
  local to = start + math.floor(n * span / seeded)
  return month_key(from) ~= month_key(to)
end
function request()
  local n = math.random(1, first)
  while straddles(n) do
    n = math.random(1, first)
  end
  return wrk.format("GET", "/v1/orders/" .. order_id(n))
end
