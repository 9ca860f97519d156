"""Structs that go in and out of grouping: config, explanation tree, result, fuzzy decision.

All frozen msgspec Structs so the server can store them (``Signature`` as msgpack bytea,
``components`` as JSON) without an adapter layer.
"""

from __future__ import annotations

import msgspec

CONFIG_ID = "frames@2026-11"
"""Dated id of the grouping rules; bump it (and note why in CHANGES) when hashes change."""


class FingerprintRule(msgspec.Struct, frozen=True, omit_defaults=True):
    """A project rule: when every given glob matches, the event gets ``fingerprint``.

    Globs use ``fnmatch`` syntax and are case-sensitive; an unset field matches anything.
    ``type``/``module``/``function`` match any exception of the chain and any of its
    frames; ``message`` matches the final exception's value (or the log message).
    ``fingerprint`` may contain ``{{ default }}``, ``{{ type }}``, ``{{ function }}``,
    ``{{ module }}``, ``{{ message }}`` and ``{{ transaction }}``.
    """

    fingerprint: tuple[str, ...]
    type: str | None = None
    module: str | None = None
    function: str | None = None
    message: str | None = None


class GroupingConfig(msgspec.Struct, frozen=True, omit_defaults=True):
    """Per-project grouping settings, passed in by the caller (never read from globals).

    ``in_app_include``/``in_app_exclude`` are module (or package path) prefixes that
    override the SDK's ``in_app`` flag; exclude wins over include.
    """

    fingerprint_rules: tuple[FingerprintRule, ...] = ()
    in_app_include: tuple[str, ...] = ()
    in_app_exclude: tuple[str, ...] = ()


class Component(msgspec.Struct, frozen=True, omit_defaults=True):
    """One node of the explanation tree: what was looked at and whether it counted."""

    id: str
    contributes: bool = True
    hint: str | None = None
    value: str | None = None
    children: tuple[Component, ...] = ()


class NormFrame(msgspec.Struct, frozen=True, omit_defaults=True):
    """A frame reduced to what grouping compares: no line numbers, no addresses."""

    function: str
    module: str = ""
    context: str = ""
    in_app: bool = False
    family: str = ""


class Signature(msgspec.Struct, frozen=True, omit_defaults=True, array_like=True):
    """Compact description of an event for fuzzy scoring (stored per cluster as msgpack).

    ``frames`` are function names innermost first; ``modules`` the matching modules;
    ``context`` the normalised source line of the crash frame; ``message`` the root
    exception's value with volatile data replaced by ``<int>``, ``<uuid>``, ...
    """

    types: tuple[str, ...] = ()
    message: str = ""
    frames: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    context: str = ""
    platform: str = ""


class Grouping(msgspec.Struct, frozen=True, omit_defaults=True):
    """How one event groups: exact hashes first, then what fuzzy matching needs."""

    config_id: str
    hashes: tuple[str, ...]
    components: Component
    title: str
    culprit: str | None
    level: str
    platform: str
    signature: Signature
    candidate_keys: tuple[str, ...] = ()
    fuzzy: bool = True
    notes: tuple[str, ...] = ()


class Candidate(msgspec.Struct, frozen=True):
    """An existing cluster the server found through a shared candidate key."""

    cluster_id: int
    signature: Signature


class Score(msgspec.Struct, frozen=True, array_like=True):
    cluster_id: int
    score: float


class Decision(msgspec.Struct, frozen=True, omit_defaults=True):
    """Outcome of fuzzy matching; ``cluster_id`` None means "make a new cluster"."""

    cluster_id: int | None
    score: float | None
    reason: str
    scores: tuple[Score, ...] = ()
