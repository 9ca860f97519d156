"""Processing stages a worker runs over a claimed batch, in order: symbolicate, then group.

Each stage takes the batch's ``Work`` items and the worker's open transaction, does
its database reads in a few batched queries, and records per-event failures on the
item rather than raising, so one bad event never blocks its batch.
"""
