-- customer profitability: one row per customer, in the segment its margin reaches
with margins as (
    select customer_id, count(*) as orders, sum(amount) as revenue,
           sum(amount - cost) as margin
    from {{ ref('stg_orders') }}
    group by customer_id
)
select m.customer_id, c.city, m.orders, m.revenue, m.margin,
       (select s.segment from {{ ref('segments') }} as s
        where m.margin >= s.min_margin order by s.min_margin desc limit 1) as segment
from margins as m
join {{ ref('stg_customers') }} as c on c.customer_id = m.customer_id
