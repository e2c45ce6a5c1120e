"""Web forms: a tenant's website forms, each with the API key that lets it submit leads (web-to-lead)."""
