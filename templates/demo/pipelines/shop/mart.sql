-- customer profitability: one row per customer
drop table if exists profitability;
create table profitability as
select e.customer_id,
       count(*) as orders,
       sum(e.amount) as revenue,
       sum(e.margin) as margin,
       case when sum(e.margin) >= {{ vars.high_margin }} then 'high'
            when sum(e.margin) >= {{ vars.medium_margin }} then 'medium'
            else 'low' end as segment
from enriched e
group by e.customer_id;
