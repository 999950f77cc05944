-- The demo shop's catalogue.
create table products (
  id integer primary key,
  sku varchar(32) not null unique,
  name varchar(200) not null,
  price_cents integer not null check (price_cents >= 0)
);

insert into products (id, sku, name, price_cents) values
  (1, 'TEA-GREEN', 'Green tea, 100 g', 650),
  (2, 'TEA-BLACK', 'Black tea, 100 g', 590),
  (3, 'MUG-WHITE', 'White mug', 1200);
