"""Analytics exports: every tenant's CRM data as Parquet in the analytics bucket, for SQL on Athena and locally.

Why an hourly exporter that walks the tenants' lists, and not DynamoDB's export to S3 or a stream into Firehose:

- Cost at idle. A scheduled Lambda costs nothing between runs and, per run, one Query per page of each list it
  walks (on-demand reads of what the tenant has). DynamoDB's incremental export bills per GB it scans of the
  table's change log, needs a transform job to turn DynamoDB JSON into per-entity Parquet (and to apply the
  changes to the previous snapshot), and costs the same on a quiet stack; Firehose bills per GB and, to write
  Parquet, needs a Glue schema per entity and an extra record transform for the single table's item shapes.
- Freshness. Hourly is what the issue asks; incremental exports cover 15 minutes to a day but land late and
  need merging; a stream into Firehose is fresher but appends changes, so an erased record would stay in the
  files until something compacted them. A refresh here replaces the tenant's partition whole: what was erased
  or trashed is gone at the next one.
- What runs and is tested locally. moto has no DynamoDB export to S3 nor Firehose delivery to Parquet; the
  exporter is an ordinary worker, so the local runtime runs it (`rapport schedule run`) against moto's S3, the
  tests run it under moto, and DuckDB reads the same files locally as Athena does deployed.

The walk reads each entity through its own list access pattern (ONE Query per page, never a Scan), and a deal's
stage history with one Query of its partition. It streams rows to disk and writes Parquet with DuckDB (bounded
memory). Layout: `dataset=<name>/tenant=<id>/dt=<day of the refresh>/data.parquet`; each dataset is a Glue table
with partition projection over `tenant` and `dt` (rapport.analytics.datasets, infra/constructs/analytics.py).
"""
