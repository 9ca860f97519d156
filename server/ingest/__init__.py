"""The hot ingestion path: a thin ASGI handler in front of a group-commit writer."""
