"""What builds, measures and drives Rapport without being part of it: the OpenAPI and event schema generators, the
benchmarks (`make bench`), the in-process API driver the tests and the bench call handlers through, and one-off
data jobs. `local/` holds only the local cloud runtime and the `rapport` CLI."""
