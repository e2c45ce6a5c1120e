"""Developer tooling that is not deployed: the OpenAPI generator, benchmarks and (later) the local runtime."""
