-- Stripe Checkout: the paying customer and saved card of an account, and the page where a
-- top-up or a job's card payment is paid.
ALTER TABLE accounts ADD COLUMN customer_ref text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN card_ref text NOT NULL DEFAULT '';
ALTER TABLE topups ADD COLUMN checkout_url text NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN checkout_url text NOT NULL DEFAULT '';
