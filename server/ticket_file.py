"""Reading a ticket import file (CSV with a header, or JSONL) into numbered rows, never failing whole.

An import file comes from another helpdesk's export and is rarely clean. Whatever is wrong
with one record (a byte that is not UTF-8, a line that is not JSON, CSV the parser refuses)
makes only that record an error message, numbered by the line the record starts on; the
rest is read as usual. Checking per record costs nothing when the file is valid UTF-8.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

Row = tuple[int, dict[str, Any] | str]  # (first line of the record, the record or why it cannot be read)
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
# bytes that are not UTF-8, as ``surrogateescape`` decodes them (U+DC80..U+DCFF, one per byte)
_BAD_BYTE = re.compile("[\udc80-\udcff]")


class _BadBytes:
    """Where the undecodable bytes of a text are, to name the first one inside a range of lines."""

    def __init__(self, text: str) -> None:
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.found: list[tuple[int, int, int]] = []  # (line, column, byte), in file order
        for m in _BAD_BYTE.finditer(text):
            line = bisect.bisect_right(starts, m.start())
            self.found.append((line, m.start() - starts[line - 1] + 1, ord(m.group()) - 0xDC00))
        self.lines = [f[0] for f in self.found]

    def first(self, first_line: int, last_line: int) -> str | None:
        """Why lines ``first_line``..``last_line`` cannot be read, or None if they are valid UTF-8."""
        i = bisect.bisect_left(self.lines, first_line)
        if i == len(self.found) or self.found[i][0] > last_line:
            return None
        line, column, byte = self.found[i]
        where = f"column {column}" if line == first_line else f"line {line}, column {column}"
        return f"not UTF-8 (byte 0x{byte:02x} at {where})"


def read_rows(path: Path) -> Iterator[Row]:
    """(first line, row) for each record of ``path``; a record that cannot be read is its error message instead."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text, bad = data.decode("utf-8"), None
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
        bad = _BadBytes(text)
    if path.suffix.lower() in JSONL_SUFFIXES or text.lstrip().startswith("{"):
        yield from _jsonl(text, bad)
    else:
        yield from _csv(text, bad)


def _jsonl(text: str, bad: _BadBytes | None) -> Iterator[Row]:
    # split on "\n" alone: str.splitlines() also breaks at U+2028 and other characters JSON strings may hold
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        why = bad.first(n, n) if bad else None
        if why:
            yield n, why
            continue
        try:
            row = msgspec.json.decode(line)
        except msgspec.DecodeError as exc:
            yield n, f"not JSON: {exc}"
            continue
        yield n, row if isinstance(row, dict) else "not a JSON object"


def _csv(text: str, bad: _BadBytes | None) -> Iterator[Row]:
    # A field can be no longer than the file: with that limit the parser never stops inside a
    # record (which would read the rest of a multi-line record as new records); fields too long
    # for a ticket are refused per row by the ticket's own checks, naming the field.
    csv.field_size_limit(max(len(text) + 1, csv.field_size_limit()))
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    done = 0  # the last line the reader has consumed
    while True:
        first = done + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            done = reader.line_num
            yield first, f"not CSV: {exc}"
            continue
        done = reader.line_num
        if not record:
            continue  # a blank line
        if header is None:
            header = record  # an undecodable column name is a column nobody asks for
            continue
        why = bad.first(first, done) if bad else None
        if why:
            yield first, why
            continue
        # as csv.DictReader: columns beyond the header and empty values are left out
        yield first, {k: v for k, v in zip(header, record, strict=False) if v != ""}
