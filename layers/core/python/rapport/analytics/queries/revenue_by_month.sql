-- Revenue by month: the paid and fulfilled orders of each month and their total in the tenant currency.
SELECT
    CAST(date_trunc('month', ordered_at) AS date) AS month,
    count(*) AS orders,
    sum(tenant_total) AS revenue
FROM orders
WHERE tenant = ? AND status IN ('paid', 'fulfilled')
GROUP BY 1
ORDER BY 1
