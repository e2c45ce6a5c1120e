-- New and lost customers by month: customers (an account, else the contact) whose first paid or fulfilled order
-- was in the month, and those whose last one was, now 180 days or more ago.
WITH bought AS (
    SELECT
        coalesce(account_id, contact_id) AS customer_id,
        min(ordered_at) AS first_order_at,
        max(ordered_at) AS last_order_at
    FROM orders
    WHERE tenant = ? AND status IN ('paid', 'fulfilled')
    GROUP BY 1
),
months AS (
    SELECT CAST(date_trunc('month', first_order_at) AS date) AS month, 1 AS new, 0 AS lost FROM bought
    UNION ALL
    SELECT CAST(date_trunc('month', last_order_at) AS date) AS month, 0 AS new, 1 AS lost
    FROM bought
    WHERE date_diff('day', CAST(last_order_at AS date), current_date) >= 180
)
SELECT month, sum(new) AS new_customers, sum(lost) AS lost_customers
FROM months
GROUP BY month
ORDER BY month
