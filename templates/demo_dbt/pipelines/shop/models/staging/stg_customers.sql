-- the customers, without what identifies a person
select customer_id, city, signed_up_at
from {{ source('shop', 'customers') }}
