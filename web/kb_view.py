"""View models the knowledge-base templates share: diff lines with their kind, report charts."""

from __future__ import annotations


def diff_lines(text: str) -> list[tuple[str, str]]:
    """(css class, line) for each line of a unified diff: ``add``, ``del``, ``hunk`` or ``same``."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out
