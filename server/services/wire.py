"""Constrained types for wire structs, so bad values are a 400 at decode time, not a 500 in SQL.

``Id``: a positive 64-bit integer (a PostgreSQL ``bigint`` id). ``Text``/``Name``: strings
without NUL characters (PostgreSQL text and jsonb refuse them). ``Limit``: a page size.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from server.errors import Invalid

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1, description="a positive 64-bit id")]
Text = Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", description="text without NUL characters")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def reject_nul(value: Any, where: str) -> None:
    """Raise ``Invalid`` naming the place when any string in ``value`` (nested) holds a NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Invalid(f"{where} contains a NUL character", where)
    elif isinstance(value, dict):
        for k, v in value.items():
            reject_nul(k, where)
            reject_nul(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            reject_nul(v, f"{where}[{i}]")
