drop index orders_customer_email;
