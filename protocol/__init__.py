"""The Sentry event protocol, typed once: the normalised ``Event`` and its parser (pure)."""

from protocol.errors import EventParseError, ProtocolError
from protocol.model import DebugImage, Event, ExceptionValue, Frame, Thread
from protocol.parse import parse_event

__all__ = ["DebugImage", "Event", "EventParseError", "ExceptionValue", "Frame", "ProtocolError", "Thread", "parse_event"]

from protocol.envelope import Envelope, EnvelopeError, EnvelopeTooLarge, Item, first_line, parse_envelope  # noqa: E402

__all__ += ["Envelope", "EnvelopeError", "EnvelopeTooLarge", "Item", "first_line", "parse_envelope"]

from protocol.trim import event_size, trim_event  # noqa: E402

__all__ += ["event_size", "trim_event"]
