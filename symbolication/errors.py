"""Errors of the ``symbolication`` package, each carrying what it is about.

Only artifact inspection and minidump parsing raise; ``symbolicate`` never does (a
failure there becomes a note on the result so the event is never lost).
"""


class SymbolicationError(Exception):
    """Base error of the ``symbolication`` package."""


class ArtifactError(SymbolicationError):
    """An uploaded artifact could not be read as what it claims (or seems) to be."""

    def __init__(self, filename: str | None, reason: str) -> None:
        super().__init__(f"artifact {filename or '<unnamed>'}: {reason}")
        self.filename = filename
        self.reason = reason


class MinidumpError(SymbolicationError):
    """The bytes are not a minidump, or its header or stream directory is unusable."""

    def __init__(self, event_id: str | None, reason: str) -> None:
        super().__init__(f"minidump for event {event_id or '<none>'}: {reason}")
        self.event_id = event_id
        self.reason = reason
