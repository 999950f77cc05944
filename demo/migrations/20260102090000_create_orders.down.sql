drop table order_lines;
drop table orders;
