"""A tiny web shop's code; its bugs are the demo's crash clusters (nothing here imports Crashdesk)."""
