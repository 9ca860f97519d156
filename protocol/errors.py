"""Errors of the protocol layer, each carrying the id it is about."""


class ProtocolError(Exception):
    """Base error of the ``protocol`` package."""


class EventParseError(ProtocolError):
    def __init__(self, event_id: str, reason: str) -> None:
        super().__init__(f"event {event_id}: {reason}")
        self.event_id = event_id
        self.reason = reason
