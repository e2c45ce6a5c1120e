-- RFM grid: customers who bought in the last 12 months scored 1 to 5 on recency (days since the last order),
-- frequency (orders) and monetary value (revenue), 5 the best; the grid counts them by recency and frequency.
WITH customers AS (
    SELECT
        coalesce(account_id, contact_id) AS customer_id,
        date_diff('day', CAST(max(ordered_at) AS date), current_date) AS recency_days,
        count(*) AS frequency,
        sum(tenant_total) AS monetary
    FROM orders
    WHERE
        tenant = ?
        AND status IN ('paid', 'fulfilled')
        AND ordered_at >= date_trunc('month', current_date) - INTERVAL '12' MONTH
    GROUP BY 1
),
scored AS (
    SELECT
        customer_id,
        monetary,
        ntile(5) OVER (ORDER BY recency_days DESC, customer_id) AS r,
        ntile(5) OVER (ORDER BY frequency, customer_id) AS f,
        ntile(5) OVER (ORDER BY monetary, customer_id) AS m
    FROM customers
)
SELECT r, f, count(*) AS customers, sum(monetary) AS revenue, avg(m) AS average_m
FROM scored
GROUP BY r, f
ORDER BY r DESC, f DESC
