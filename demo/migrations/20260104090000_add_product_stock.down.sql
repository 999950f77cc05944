alter table products drop column stock;
