-- Order history pages look orders up by customer.
create index orders_customer_email on orders (customer_email);
