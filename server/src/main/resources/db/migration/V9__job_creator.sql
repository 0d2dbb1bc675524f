-- Who asked for a job (the token's subject), so that a job is readable by its creator and by an
-- admin only. Jobs the server enqueues itself (recurring jobs, webhooks, payments) have none.
ALTER TABLE jobs ADD COLUMN created_by text;
