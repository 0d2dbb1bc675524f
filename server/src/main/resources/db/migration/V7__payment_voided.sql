-- A cancelled paid order's authorization is voided at the provider from the job queue
-- (payment.void); once the provider confirms, the order's payment_status is voided.
ALTER TABLE orders DROP CONSTRAINT orders_payment_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_payment_status_check CHECK (payment_status IN
    ('pending', 'authorized', 'declined', 'voided'));
