-- Stock levels, nullable so the column add is instant; the app fills it in.
alter table products add column stock integer;
