-- one row per order, with its cost
drop table if exists stg_orders;
create table stg_orders as
select o.order_id, o.customer_id, o.quantity, o.amount, o.ordered_at,
       p.unit_cost * o.quantity as cost
from orders o
join products p on p.product_id = o.product_id;
