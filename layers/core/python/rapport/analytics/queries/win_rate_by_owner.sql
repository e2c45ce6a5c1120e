-- Win rate by owner: of each owner's closed deals, how many were won (in percent), and the amount won.
SELECT
    owner_id,
    count(CASE WHEN status = 'won' THEN 1 END) AS won,
    count(CASE WHEN status = 'lost' THEN 1 END) AS lost,
    round(100.0 * count(CASE WHEN status = 'won' THEN 1 END) / count(*), 1) AS win_rate_percent,
    sum(CASE WHEN status = 'won' THEN amount ELSE 0 END) AS amount_won
FROM deals
WHERE tenant = ? AND status IN ('won', 'lost')
GROUP BY owner_id
ORDER BY win_rate_percent DESC, owner_id
