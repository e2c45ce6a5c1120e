"""The HTTP edge shared by every handler: resolver set-up, caller, problem responses, ETags, idempotency."""
