-- POST /v1/orders with a fresh Idempotency-Key per request and realistic bodies: customers drawn
-- from 1..MAX_CUSTOMER (default 10000, the demo set), 1 to 3 distinct products from
-- 1..MAX_PRODUCT (default 1000), quantities 1 to 3. About 8% are refused with a 422 by design
-- (suspended or closed customers, customers without an address, discontinued products); the
-- status counts are printed at the end. Keys are unique across threads and runs.
local max_customer = tonumber(os.getenv("MAX_CUSTOMER") or "10000")
local max_product = tonumber(os.getenv("MAX_PRODUCT") or "1000")
local run = os.getenv("RUN_ID") or tostring(os.time())
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed * 7919 + os.time())
  sent = 0
  statuses = {}
end

local function body()
  local lines = math.random(1, 3)
  local used = {}
  local items = {}
  while #items < lines do
    local product = math.random(1, max_product)
    if not used[product] then
      used[product] = true
      items[#items + 1] = string.format('{"product_id":%d,"quantity":%d}', product, math.random(1, 3))
    end
  end
  return string.format('{"customer_id":%d,"items":[%s]}', math.random(1, max_customer), table.concat(items, ","))
end

-- PACE_MS (optional): each connection waits an exponentially distributed think time with this
-- mean before its next request, so C connections offer about C * 1000 / PACE_MS orders per second
-- (a paced closed loop: an approximation of a fixed arrival rate, used for "p99 at half the rate")
local pace = tonumber(os.getenv("PACE_MS") or "0")
if pace > 0 then
  function delay()
    return -pace * math.log(1 - math.random())
  end
end

-- TOKEN (a bearer token with orders:write, e.g. from ./hotpath token) is sent when set
local token = os.getenv("TOKEN")

function request()
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("wrk-%s-%d-%d", run, seed, sent),
  }
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("POST", "/v1/orders", headers, body())
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d: %d\n", status, n))
  end
end
