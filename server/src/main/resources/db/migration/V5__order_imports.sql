-- Bulk order imports: the uploaded file (id = its job's id) and a report line per input line.
CREATE TABLE order_imports (
    id          bigint      PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    format      text        NOT NULL CHECK (format IN ('ndjson', 'csv')),
    body        bytea       NOT NULL,
    workers     integer     NOT NULL CHECK (workers > 0),
    lines       integer,
    -- input lines whose outcome is committed; the coordinator resumes after them
    lines_done  integer     NOT NULL DEFAULT 0,
    imported    integer     NOT NULL DEFAULT 0,
    rejected    integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE order_import_lines (
    import_id  bigint  NOT NULL REFERENCES order_imports (id) ON DELETE CASCADE,
    line_no    integer NOT NULL,
    outcome    text    NOT NULL CHECK (outcome IN ('imported', 'rejected')),
    order_id   bigint,
    errors     jsonb,
    PRIMARY KEY (import_id, line_no)
);
