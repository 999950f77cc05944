-- Orders and their lines.
create table orders (
  id integer primary key,
  customer_email varchar(320) not null,
  created_at timestamp not null default current_timestamp
);

create table order_lines (
  order_id integer not null references orders (id),
  product_id integer not null references products (id),
  quantity integer not null check (quantity > 0),
  primary key (order_id, product_id)
);
