# The ids of a fresh seed's orders, for the scripts that write request lists with awk (as
# scripts/wrk/order-by-id.lua does for wrk). Order ids carry their month (docs/data-at-scale.md):
# month_key << 40 | n for the n-th order, month_key being months since January 2000. The seed
# (store/seed/SeedRun) spreads its orders evenly over the 730 days before 2026-01-01, that is from
# 2024-01-02 (2024 has 366 days), each at a random second of its own slot; an order whose slot
# straddles a month's end may sit in either month, so callers skip those (about one in 20,000).
# Used as: awk -f scripts/demo-orders.awk -f <(echo 'BEGIN { ... demo_order_id(n, 200000) ... }')

# months since January 2000 of the day that is `day` days after 2024-01-01
function demo_month_key(day,   y, m, len) {
  y = 2024; m = 0
  for (;;) {
    len = (m == 1) ? (y % 4 == 0 ? 29 : 28) : (m == 3 || m == 5 || m == 8 || m == 10 ? 30 : 31)
    if (day < len) return (y - 2000) * 12 + m
    day -= len; m++
    if (m == 12) { m = 0; y++ }
  }
}
# the month key of the start of the n-th slot of `seeded` (its offset in seconds from 2024-01-02)
function demo_slot_key(n, seeded) {
  return demo_month_key(1 + int((n - 1) * 730 * 86400 / seeded / 86400))
}
function demo_straddles(n, seeded) {
  return demo_slot_key(n, seeded) != demo_slot_key(n + 1, seeded)
}
function demo_order_id(n, seeded) {
  return sprintf("%.0f", demo_slot_key(n, seeded) * 1099511627776 + n)
}
# a uniform n in 1..first (first <= seeded) whose order's month is certain
function demo_random_order(first, seeded,   n) {
  do { n = 1 + int(rand() * first) } while (demo_straddles(n, seeded))
  return n
}
