-- The cache_invalidation consumer (compute/OrderInvalidations) announces what each order placed
-- through the API changed to every instance's response cache, after the order's commit, instead
-- of a NOTIFY in the order's own transaction (which made every order commit alone). It starts at
-- the end of the log: the orders before it were announced by their own transactions. An event
-- records the cache origin of the instance that wrote it (null for other writers), so that the
-- writer, which evicted its own cache before it answered, skips the message. Nullable without a
-- default: a catalog change, whatever the size of the log.
ALTER TABLE outbox ADD COLUMN cache_origin text;

WITH last AS (SELECT txid, id FROM outbox ORDER BY txid DESC, id DESC LIMIT 1)
INSERT INTO consumer_offsets (consumer, last_txid, last_id)
SELECT 'cache_invalidation', COALESCE((SELECT txid FROM last), '0'::xid8),
       COALESCE((SELECT id FROM last), 0)
ON CONFLICT (consumer) DO NOTHING;
