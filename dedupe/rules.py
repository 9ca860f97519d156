"""Forced fingerprints: project rules (first match wins) and then the SDK's ``fingerprint``.

Project rules are checked before the SDK value so an operator can regroup what a client
library decided. A fingerprint made only of ``{{ default }}`` is the default grouping.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from dedupe.errors import InvalidRule
from dedupe.fingerprint import Analysis
from dedupe.model import FingerprintRule, GroupingConfig
from dedupe.params import parameterize
from protocol.model import Event

VARIABLE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def _matches(rule: FingerprintRule, event: Event, analysis: Analysis) -> bool:
    if rule.type is not None and not any(fnmatchcase(e.type or "", rule.type) for e in event.exceptions):
        return False
    if rule.message is not None:
        last = event.exceptions[-1].value if event.exceptions else event.message
        if not fnmatchcase(last or "", rule.message):
            return False
    frames = [f for e in event.exceptions for f in e.frames] + [f for t in event.threads for f in t.frames]
    if rule.module is not None and not any(fnmatchcase(f.module or "", rule.module) for f in frames):
        return False
    if rule.function is not None and not any(fnmatchcase(f.function or "", rule.function) for f in frames):
        return False
    return True


def _variables(event: Event, analysis: Analysis, default_hash: str) -> dict[str, str]:
    crash = analysis.crash
    return {
        "default": default_hash,
        "type": analysis.exc_type or "<no-type>",
        "message": parameterize(analysis.value) or "<no-message>",
        "function": (crash.function if crash else "") or "<no-function>",
        "module": (crash.module if crash else "") or "<no-module>",
        "transaction": event.transaction or "<no-transaction>",
        "level": event.level,
    }


def expand(parts: tuple[str, ...], values: dict[str, str], notes: list[str]) -> tuple[str, ...]:
    """Replace ``{{ name }}`` variables; an unknown variable stays literal and is noted."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        if name in values:
            return values[name]
        notes.append(f"unknown fingerprint variable {m.group(0)!r} kept literally")
        return m.group(0)

    return tuple(VARIABLE.sub(sub, p) for p in parts)


def is_default(parts: tuple[str, ...] | None) -> bool:
    return parts is not None and len(parts) == 1 and VARIABLE.fullmatch(parts[0].strip()) is not None and (
        VARIABLE.fullmatch(parts[0].strip()).group(1).lower() == "default"  # type: ignore[union-attr]
    )


def forced_fingerprint(
    event: Event, config: GroupingConfig, analysis: Analysis, default_hash: str, notes: list[str]
) -> tuple[str, tuple[str, ...]] | None:
    """Return (source, expanded parts) when a rule or the SDK forces the fingerprint."""
    chosen: tuple[str, tuple[str, ...]] | None = None
    for i, rule in enumerate(config.fingerprint_rules):
        if not rule.fingerprint:
            notes.append(f"fingerprint rule {i} has an empty fingerprint; skipped")
            continue
        try:
            if _matches(rule, event, analysis):
                chosen = (f"project rule {i}", rule.fingerprint)
                break
        except Exception as exc:  # noqa: BLE001 - a broken rule is a note, not a failure
            notes.append(f"fingerprint rule {i} failed: {type(exc).__name__}: {exc}")
    if chosen is None and event.fingerprint:
        chosen = ("sdk", event.fingerprint)
    if chosen is None or is_default(chosen[1]):
        return None
    uses_default = any("default" in m.group(1).lower() for p in chosen[1] for m in VARIABLE.finditer(p))
    source = f"{chosen[0]} (with the default grouping)" if uses_default else chosen[0]
    return source, expand(chosen[1], _variables(event, analysis, default_hash), notes)


def validate_rules(rules: tuple[FingerprintRule, ...]) -> None:
    """Refuse unusable project rules when they are saved, naming the first bad one."""
    for i, rule in enumerate(rules):
        if not rule.fingerprint or not all(isinstance(p, str) and p for p in rule.fingerprint):
            raise InvalidRule(i, "fingerprint must be a non-empty list of non-empty strings")
        matchers = (rule.type, rule.module, rule.function, rule.message)
        if all(m is None for m in matchers):
            raise InvalidRule(i, "needs at least one of type, module, function, message")
        if any(m is not None and not isinstance(m, str) for m in matchers):
            raise InvalidRule(i, "matchers must be glob strings")
