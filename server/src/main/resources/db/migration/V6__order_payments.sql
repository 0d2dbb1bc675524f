-- Payments: an order is authorized by the payments provider when it is placed (paid), or accepted
-- as payment_pending when the provider does not answer in time and authorized later from the job
-- queue (paid, or payment_failed with its stock put back). Orders placed without a provider keep
-- status placed and no payment.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
    ('placed', 'payment_pending', 'paid', 'payment_failed', 'shipped', 'delivered', 'cancelled'));
ALTER TABLE orders
    ADD COLUMN payment_status text CHECK (payment_status IN ('pending', 'authorized', 'declined')),
    ADD COLUMN payment_authorization text;
