"""Pure grouping core: normalise an event, fingerprint it, and fuzzy-match new hashes.

``group_event`` turns an ``Event`` into a ``Grouping`` (exact hashes, explanation tree,
signature, blocking keys); the server looks the hashes up and, when none is known,
fetches clusters sharing a candidate key and asks ``decide`` which one (if any) to join.
"""

from dedupe.errors import DedupeError, InvalidRule
from dedupe.fuzzy import decide, similarity
from dedupe.grouping import event_title, group_event
from dedupe.model import (
    CONFIG_ID,
    Candidate,
    Component,
    Decision,
    FingerprintRule,
    Grouping,
    GroupingConfig,
    Score,
    Signature,
)
from dedupe.params import parameterize, parameterize_all
from dedupe.rules import validate_rules

__all__ = [
    "CONFIG_ID", "Candidate", "Component", "DedupeError", "Decision", "FingerprintRule", "Grouping",
    "GroupingConfig", "InvalidRule", "Score", "Signature", "decide", "event_title", "group_event", "parameterize",
    "parameterize_all", "similarity", "validate_rules",
]
