"""Resolve native frames (instruction addresses) to functions, files, lines and inlinees.

Return addresses point after the call; looking them up as-is can name the next line
or even the next function, so every frame except a stack's innermost one (whose
address came from the CPU context) is looked up at the caller instruction, as Sentry
and symbolicator do.
"""

from __future__ import annotations

import ntpath
import posixpath

import symbolic

from protocol.model import Frame
from symbolication.frames import Image

_KNOWN_TRUST_ADJUSTED = frozenset({"cfi", "fp", "scan", "cfi_scan", "prewalked"})


def needs_adjustment(frame: Frame, innermost: bool) -> bool:
    """True when ``instruction_addr`` is a return address rather than the faulting pc."""
    if frame.trust == "context":
        return False
    if frame.trust in _KNOWN_TRUST_ADJUSTED:
        return True
    return not innermost


def caller_address(addr: int, arch: str) -> int:
    """An address inside the call instruction that precedes ``addr``."""
    if arch and symbolic.arch_is_known(arch):
        best = symbolic.find_best_instruction(addr, arch, crashing_frame=False)
        if best != addr:
            return best
    return max(addr - 1, 0)


def lookup_frame(
    frame: Frame, image: Image, rel_addr: int, cache: symbolic.SymCache, adjust: bool
) -> tuple[Frame, ...] | None:
    """Symbolicated frames for one address, outermost first (inlinees last), or ``None``."""
    if adjust:
        lookup = caller_address(image.start + rel_addr, cache.arch) - image.start
    else:
        lookup = rel_addr
    if lookup < 0:
        return None
    locations = cache.lookup(lookup)
    if not locations:
        return None
    out = []
    for loc in reversed(locations):
        path = loc.full_path
        out.append(
            Frame(
                function=loc.symbol or None,
                package=image.image.code_file,
                filename=_basename(path) if path else None,
                abs_path=path,
                lineno=loc.line or None,
                in_app=frame.in_app,
                platform=frame.platform,
                instruction_addr=frame.instruction_addr,
                symbol_addr=hex(image.start + loc.sym_addr),
                image_addr=hex(image.start),
                trust=frame.trust,
                raw=frame,
            )
        )
    return tuple(out)


def _basename(path: str) -> str:
    if "\\" in path or (len(path) > 1 and path[1] == ":"):
        return ntpath.basename(path)
    return posixpath.basename(path)
