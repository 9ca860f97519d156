"""Release versions: parse any version string an SDK sends, and order versions of one package.

``parse`` never fails: a string that fits no scheme comes back flagged ``parsed=False``,
and callers order it by when it was first seen. Each parsed version carries ``key``, a
plain ASCII string whose byte order (PostgreSQL ``COLLATE "C"``) is the version order,
so the database sorts and pages releases without knowing any scheme. Build metadata
(``+456``, `` (456)``) is kept but has no precedence, as in semver.
"""

from __future__ import annotations

import re

import msgspec
from packaging.version import InvalidVersion
from packaging.version import Version as Pep440

SEMVER = "semver"  # numbers with dots, optional semver pre-release (1.2.3-rc.1)
PEP440 = "pep440"  # Python's scheme (1.0a1, 1.0.post2, 1.0.dev3, 1!2.0)
CALVER = "calver"  # dates written with dashes (2025-11-03); dotted dates are plain numbers
UNPARSED = "unparsed"


class Version(msgspec.Struct, frozen=True):
    """One release name taken apart; ``key`` is None when ``parsed`` is False."""

    raw: str
    package: str  # '' when the name has no ``package@``
    number: str  # the version part, without the package and without build metadata
    build: str | None
    scheme: str
    key: str | None

    @property
    def parsed(self) -> bool:
        return self.key is not None


_BUILD_PAREN = re.compile(r"^(?P<v>.*\S)\s*\((?P<b>[^()]*)\)$")
_SEMVER = re.compile(r"^(?P<rel>\d+(?:\.\d+)*)(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")
_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[.-](?P<rest>\d+(?:\.\d+)*))?$")
_MAX_DIGITS = 26  # one letter says how many digits follow; longer numbers are not versions

# Key grammar (each piece chosen so byte order is precedence order):
#   number  = letter A..Z giving the digit count, then the digits ("9" -> "A9", "10" -> "B10")
#   release = epoch number, then numbers with trailing zeros dropped (1.2 == 1.2.0), then "!"
#   pre     = "0" (dev release only) | "1" idents "!" (pre-release) | "2" (none)
#   idents  = per identifier "1" number (numeric, lower) | "2" text " " (alphanumeric)
#   post    = "0" (none) | "1" number;   dev = "1" number | "2" (none)


def _num(n: int) -> str:
    digits = str(n)
    if len(digits) > _MAX_DIGITS:
        raise ValueError("number too long")
    return chr(ord("A") + len(digits) - 1) + digits


def _release(epoch: int, parts: list[int]) -> str:
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return _num(epoch) + "".join(_num(p) for p in parts) + "!"


def _idents(idents: list[str]) -> str:
    out = []
    for ident in idents:
        out.append("1" + _num(int(ident)) if ident.isdigit() else "2" + ident + " ")
    return "".join(out) + "!"


def _semver_key(rel: str, pre: str | None) -> str:
    head = _release(0, [int(p) for p in rel.split(".")])
    return head + ("1" + _idents(pre.split(".")) if pre else "2") + "0" + "2"


def _pep440_key(v: Pep440) -> str:
    head = _release(v.epoch, list(v.release))
    if v.pre is not None:
        pre = "1" + _idents([v.pre[0], str(v.pre[1])])
    elif v.dev is not None and v.post is None:
        pre = "0"
    else:
        pre = "2"
    post = "0" if v.post is None else "1" + _num(v.post)
    dev = "2" if v.dev is None else "1" + _num(v.dev)
    return head + pre + post + dev


def _split_package(raw: str) -> tuple[str, str]:
    """``pkg@1.0`` -> ('pkg', '1.0'); the last ``@`` counts, so ``@scope/pkg@1.0`` works."""
    at = raw.rfind("@")
    if at > 0 and at < len(raw) - 1:
        return raw[:at], raw[at + 1 :]
    return "", raw


def _split_build(number: str) -> tuple[str, str | None]:
    m = _BUILD_PAREN.match(number)
    if m:
        return m["v"], m["b"].strip() or None
    if "+" in number:
        head, _, build = number.partition("+")
        return head, build or None
    return number, None


def _scheme_key(number: str) -> tuple[str, str | None]:
    bare = number[1:] if number[:1] in ("v", "V") and number[1:2].isdigit() else number
    if m := _DATE.match(bare):
        parts = [int(m["y"]), int(m["m"]), int(m["d"])] + [int(p) for p in (m["rest"] or "").split(".") if p]
        return CALVER, _release(0, parts) + "2" + "0" + "2"
    if m := _SEMVER.match(bare):
        return SEMVER, _semver_key(m["rel"], m["pre"])
    try:
        return PEP440, _pep440_key(Pep440(bare))
    except InvalidVersion:
        return UNPARSED, None


def parse(raw: str) -> Version:
    """Take a release name apart; never raises (an unknown shape is ``parsed=False``)."""
    package, rest = _split_package(raw.strip())
    number, build = _split_build(rest.strip())
    number = number.strip()
    try:
        scheme, key = _scheme_key(number) if number else (UNPARSED, None)
    except (ValueError, OverflowError):
        scheme, key = UNPARSED, None
    return Version(raw=raw, package=package, number=number, build=build, scheme=scheme, key=key)


def compare(a: Version, b: Version, a_seen: int | None = None, b_seen: int | None = None) -> int | None:
    """-1, 0 or 1 as ``a`` orders before, with, or after ``b``; None when they cannot be compared.

    Versions of different packages are never compared. When either is unparsed, the
    order is that of first sight (``a_seen``/``b_seen``: any increasing number, such
    as a release id); without those, unparsed versions are equal only to themselves.
    """
    if a.package != b.package:
        return None
    if a.key is not None and b.key is not None:
        return (a.key > b.key) - (a.key < b.key)
    if a.raw == b.raw:
        return 0
    if a_seen is None or b_seen is None:
        return None
    return (a_seen > b_seen) - (a_seen < b_seen)


def order_key(v: Version) -> str:
    """What the database sorts releases of one package by: parsed ones after ("newer than")
    unparsed ones in ascending order, so a newest-first list shows them after the parsed."""
    return "0" if v.key is None else "1" + v.key


def bare(v: Version) -> Version:
    """The same version without its package, so a customer's ``2.3.0`` meets ``app@2.3.0``."""
    return v if not v.package else parse(v.number if v.build is None else f"{v.number}+{v.build}")
