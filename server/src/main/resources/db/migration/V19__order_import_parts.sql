-- Import files kept in parts of whole lines (compute/ImportParts), written as the upload arrives,
-- so that neither the upload nor the job ever holds a whole file: order_imports.upload names the
-- parts of an import; body stays only for imports accepted before (the job cuts it into parts).
ALTER TABLE order_imports ALTER COLUMN body DROP NOT NULL;
ALTER TABLE order_imports ADD COLUMN upload uuid;
CREATE INDEX order_imports_upload ON order_imports (upload);

CREATE TABLE order_import_parts (
    upload      uuid        NOT NULL,
    part        integer     NOT NULL,
    first_line  integer     NOT NULL,
    lines       integer     NOT NULL,
    data        bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (upload, part)
);
