-- orders of four items or more: worth a look, not a reason to stop
{{ config(severity='warn') }}
select * from {{ ref('stg_orders') }} where quantity >= 4
