ALTER TABLE jobs DROP COLUMN checkout_url;
ALTER TABLE topups DROP COLUMN checkout_url;
ALTER TABLE accounts DROP COLUMN card_ref;
ALTER TABLE accounts DROP COLUMN customer_ref;
