"""Errors of the ``dedupe`` package."""


class DedupeError(Exception):
    """Base error of the ``dedupe`` package."""


class InvalidRule(DedupeError):
    """A project fingerprint rule cannot be used; carries its index in the rule list."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"fingerprint rule {index}: {reason}")
        self.index = index
        self.reason = reason
