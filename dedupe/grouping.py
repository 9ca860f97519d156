"""``group_event``: one normalised event in, its ``Grouping`` out (pure, no I/O)."""

from __future__ import annotations

from dedupe.fingerprint import analyse, digest
from dedupe.model import CONFIG_ID, Component, Grouping, GroupingConfig
from dedupe.rules import forced_fingerprint
from protocol.model import Event

TITLE_MAX = 200


def event_title(event: Event) -> str:
    """One line naming the event: the last exception's type and first message line, or the message."""
    if event.exceptions:
        last = event.exceptions[-1]
        first_line = (last.value or "").strip().splitlines()[0] if (last.value or "").strip() else ""
        text = f"{last.type}: {first_line}" if last.type and first_line else (last.type or first_line)
        return (text or "<unlabeled exception>")[:TITLE_MAX]
    return ((event.message or "").strip().splitlines() or ["<no message>"])[0][:TITLE_MAX]


def group_event(event: Event, config: GroupingConfig | None = None) -> Grouping:
    """Fingerprint ``event`` and describe it for exact and fuzzy matching.

    ``hashes[0]`` is the exact-match hash. ``fuzzy`` is False when a project rule or the
    SDK forced the fingerprint: those groups are the user's decision, not ours to widen.
    """
    config = config or GroupingConfig()
    notes: list[str] = []
    analysis = analyse(event, config, notes)
    default_hash = digest(analysis.hash_parts)
    forced = forced_fingerprint(event, config, analysis, default_hash, notes)
    components = analysis.components
    if forced is None:
        hashes = (default_hash,)
        fuzzy = analysis.mode != "message" or bool(analysis.value)
    else:
        source, parts = forced
        hashes = (digest((CONFIG_ID, "fingerprint", *parts)),)
        fuzzy = False
        components = Component(
            "fingerprint", hint=f"fingerprint forced by {source}", value=" | ".join(parts),
            children=(Component(
                components.id, contributes="default grouping" in source,
                hint="included through {{ default }}" if "default grouping" in source else f"replaced by {source}",
                children=components.children),),
        )
    crash = analysis.crash
    culprit = None
    if crash is not None and (crash.module or crash.function):
        culprit = f"{crash.module} in {crash.function}" if crash.module and crash.function else crash.module or crash.function
    culprit = culprit or event.transaction
    return Grouping(
        config_id=CONFIG_ID,
        hashes=hashes,
        components=components,
        title=event_title(event),
        culprit=culprit,
        level=event.level,
        platform=event.platform,
        signature=analysis.signature,
        candidate_keys=analysis.keys if fuzzy else (),
        fuzzy=fuzzy,
        notes=tuple(notes),
    )
