-- Pipeline velocity: for each pipeline's stage, how many deals left it and the average days they spent in it.
SELECT
    pipeline_id,
    from_stage AS stage,
    count(*) AS transitions,
    round(avg(days_in_previous_stage), 2) AS average_days
FROM deal_stages
WHERE tenant = ? AND from_stage IS NOT NULL
GROUP BY pipeline_id, from_stage
ORDER BY pipeline_id, average_days DESC, stage
