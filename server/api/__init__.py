"""The JSON read API under ``/api/0/``, scoped to the bearer token's organization."""
