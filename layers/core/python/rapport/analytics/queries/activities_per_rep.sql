-- Activities per rep: each owner's calls, emails, meetings and notes by month.
SELECT
    CAST(date_trunc('month', occurred_at) AS date) AS month,
    owner_id,
    count(*) AS activities,
    count(CASE WHEN type = 'call' THEN 1 END) AS calls,
    count(CASE WHEN type = 'email' THEN 1 END) AS emails,
    count(CASE WHEN type = 'meeting' THEN 1 END) AS meetings
FROM activities
WHERE tenant = ?
GROUP BY 1, 2
ORDER BY 1, 2
