"""Crashdesk edges: HTTP, PostgreSQL, workers and the command line."""
