-- one row per order, with its cost
select o.order_id, o.customer_id, o.quantity, o.amount, o.ordered_at,
       p.unit_cost * o.quantity as cost
from {{ source('shop', 'orders') }} as o
join {{ source('shop', 'products') }} as p on p.product_id = o.product_id
