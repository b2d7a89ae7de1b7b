"""What every `/api/v1` request shares: authentication, rate limit, idempotency, headers, rendering."""
