-- Forecast accuracy by quarter, owner and currency: the weighted forecast as it stood at the quarter's start (the
-- deals open then whose close date falls in the quarter, each amount x the probability of the stage it was in,
-- from the stage history) against the deals closed won in the quarter, and won / forecast in percent. A move
-- recorded before probabilities were kept takes the deal's own probability if it is still in that stage, else it
-- is counted in unweighted_deals. Amounts are in the deal's currency; close dates are the deals' current ones.
WITH tenant_deals AS (
    SELECT id, owner_id, currency, amount, status, pipeline_id, stage, probability, close_date, closed_at
    FROM deals
    WHERE tenant = ?
),
at_quarter_start AS (
    SELECT
        d.id,
        d.owner_id,
        d.currency,
        d.amount,
        CAST(date_trunc('quarter', d.close_date) AS date) AS quarter,
        s.status AS status_then,
        coalesce(
            s.probability, CASE WHEN s.to_stage = d.stage AND s.pipeline_id = d.pipeline_id THEN d.probability END
        ) AS probability_then,
        row_number() OVER (PARTITION BY d.id ORDER BY s."at" DESC) AS newest_first
    FROM tenant_deals AS d
    JOIN deal_stages AS s ON s.deal_id = d.id
    WHERE s.tenant = ? AND s."at" < CAST(date_trunc('quarter', d.close_date) AS timestamp)
),
forecast AS (
    SELECT
        quarter,
        owner_id,
        currency,
        count(*) AS forecast_deals,
        count(CASE WHEN probability_then IS NULL THEN 1 END) AS unweighted_deals,
        round(coalesce(sum(amount * probability_then * 0.01), 0), 2) AS forecast
    FROM at_quarter_start
    WHERE newest_first = 1 AND status_then = 'open'
    GROUP BY quarter, owner_id, currency
),
won AS (
    SELECT
        CAST(date_trunc('quarter', closed_at) AS date) AS quarter,
        owner_id,
        currency,
        count(*) AS won_deals,
        sum(amount) AS closed_won
    FROM tenant_deals
    WHERE status = 'won' AND closed_at IS NOT NULL
    GROUP BY 1, 2, 3
)
SELECT
    coalesce(f.quarter, w.quarter) AS quarter,
    coalesce(f.owner_id, w.owner_id) AS owner_id,
    coalesce(f.currency, w.currency) AS currency,
    coalesce(f.forecast_deals, 0) AS forecast_deals,
    coalesce(f.unweighted_deals, 0) AS unweighted_deals,
    coalesce(f.forecast, 0) AS forecast,
    coalesce(w.won_deals, 0) AS won_deals,
    coalesce(w.closed_won, 0) AS closed_won,
    CASE
        WHEN f.forecast > 0 THEN round(100 * CAST(coalesce(w.closed_won, 0) AS double) / CAST(f.forecast AS double), 1)
    END AS accuracy_percent
FROM forecast AS f
FULL OUTER JOIN won AS w ON f.quarter = w.quarter AND f.owner_id = w.owner_id AND f.currency = w.currency
ORDER BY quarter, owner_id, currency
