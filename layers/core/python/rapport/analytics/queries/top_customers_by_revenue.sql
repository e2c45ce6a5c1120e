-- Top 20 customers by revenue over the last 12 complete months, with whether each is deserting (the churn list's
-- rule: the last 3 complete months' average down 40 % or more from the 12 before, on a baseline of 100 or more).
WITH bought AS (
    SELECT
        coalesce(account_id, contact_id) AS customer_id,
        ordered_at,
        tenant_total,
        date_trunc('month', current_date) AS this_month
    FROM orders
    WHERE tenant = ? AND status IN ('paid', 'fulfilled') AND ordered_at < date_trunc('month', current_date)
),
customers AS (
    SELECT
        customer_id,
        sum(CASE WHEN ordered_at >= this_month - INTERVAL '12' MONTH THEN tenant_total ELSE 0 END) AS revenue_12m,
        count(CASE WHEN ordered_at >= this_month - INTERVAL '12' MONTH THEN 1 END) AS orders_12m,
        sum(CASE WHEN ordered_at >= this_month - INTERVAL '3' MONTH THEN tenant_total ELSE 0 END) / 3 AS recent,
        sum(
            CASE
                WHEN
                    ordered_at >= this_month - INTERVAL '15' MONTH AND ordered_at < this_month - INTERVAL '3' MONTH
                    THEN tenant_total
                ELSE 0
            END
        ) / 12 AS baseline,
        max(ordered_at) AS last_order_at
    FROM bought
    GROUP BY customer_id
)
SELECT
    customer_id,
    revenue_12m,
    orders_12m,
    last_order_at,
    baseline >= 100 AND recent <= baseline * 0.6 AS deserting
FROM customers
WHERE revenue_12m > 0
ORDER BY revenue_12m DESC, customer_id
LIMIT 20
