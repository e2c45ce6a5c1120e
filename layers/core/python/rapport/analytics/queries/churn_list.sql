-- Deserting customers: average monthly revenue over the last 3 complete months down 40 % or more from the 12
-- complete months before them, on a baseline of at least 100 a month (the default analytics settings).
WITH monthly AS (
    SELECT
        coalesce(account_id, contact_id) AS customer_id,
        sum(
            CASE
                WHEN ordered_at >= date_trunc('month', current_date) - INTERVAL '3' MONTH THEN tenant_total
                ELSE 0
            END
        ) / 3 AS recent,
        sum(
            CASE
                WHEN ordered_at < date_trunc('month', current_date) - INTERVAL '3' MONTH THEN tenant_total
                ELSE 0
            END
        ) / 12 AS baseline,
        max(ordered_at) AS last_order_at
    FROM orders
    WHERE
        tenant = ?
        AND status IN ('paid', 'fulfilled')
        AND ordered_at >= date_trunc('month', current_date) - INTERVAL '15' MONTH
        AND ordered_at < date_trunc('month', current_date)
    GROUP BY 1
)
SELECT
    customer_id,
    CAST(round(baseline, 2) AS decimal(18, 2)) AS baseline,
    CAST(round(recent, 2) AS decimal(18, 2)) AS recent,
    CAST(round((baseline - recent) * 100 / baseline, 1) AS decimal(5, 1)) AS drop_percent,
    last_order_at
FROM monthly
WHERE baseline >= 100 AND recent <= baseline * 0.6
ORDER BY baseline DESC, customer_id
