-- Async reports: the request (id = its job's id) and its result rows, written by the report job.
CREATE TABLE reports (
    id            bigint      PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    from_date     date        NOT NULL,
    to_date       date        NOT NULL CHECK (to_date >= from_date),
    callback_url  text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Sales by day and by product; the CSV download pages through them by row_no.
CREATE TABLE report_rows (
    report_id      bigint  NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    row_no         integer NOT NULL,
    dimension      text    NOT NULL CHECK (dimension IN ('day', 'product')),
    value          text    NOT NULL,
    currency       char(3) NOT NULL,
    orders         bigint  NOT NULL,
    units          bigint  NOT NULL,
    revenue_minor  bigint  NOT NULL,
    PRIMARY KEY (report_id, row_no)
);
