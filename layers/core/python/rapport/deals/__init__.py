"""Sales: pipelines, deals, forecasts, performance, currency rates."""
