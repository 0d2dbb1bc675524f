-- The entity tag a stored 201 carried, so a replay carries it too (a client goes on with a
-- conditional request without reading the resource first). NULL for responses without one.
ALTER TABLE idempotency_keys ADD COLUMN etag text;
