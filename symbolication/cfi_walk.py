"""Walk an x86_64 stack by CFI rules, then frame pointers, then stack scanning (Breakpad's order).

Each step finds the caller's registers from the callee's: the module's ``STACK CFI``
rules at the pc (``pc - 1`` past the first frame: a return address points after the
call), else the ``rbp`` chain, else the first word above the stack pointer that points
into a module where CFI agrees code could return to. A step must move up the stack and
land in a module, or the walk stops there.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence

from symbolication.artifacts import norm_debug_id
from symbolication.cfi import CfiTable, unwind
from symbolication.minidump import MemoryRegion, Module

# CONTEXT_AMD64 offsets of the general registers.
_REGS = {"$rax": 120, "$rcx": 128, "$rdx": 136, "$rbx": 144, "$rsp": 152, "$rbp": 160, "$rsi": 168, "$rdi": 176,
         **{f"$r{n}": 184 + 8 * (n - 8) for n in range(8, 16)}, "$rip": 248}
_CALLEE_SAVED = ("$rbx", "$rbp", "$r12", "$r13", "$r14", "$r15")
_SCAN_WORDS = 64  # how far above the stack pointer a scan looks for a return address


def walk_amd64(context: bytes, stack: MemoryRegion, modules: Sequence[Module], cfi: Mapping[str, CfiTable],
               max_frames: int) -> Iterator[tuple[int, str]]:
    """(pc, trust) per frame, innermost first."""
    regs = {name: struct.unpack_from("<Q", context, off)[0] for name, off in _REGS.items()}
    tables = {id(m): cfi.get(norm_debug_id(m.debug_id)) if m.debug_id else None for m in modules}

    def read(addr: int) -> int | None:
        raw = stack.read(addr, 8)
        return struct.unpack("<Q", raw)[0] if raw is not None else None

    def module_of(addr: int) -> Module | None:
        return next((m for m in modules if m.base <= addr < m.base + m.size), None)

    def could_return_to(addr: int) -> bool:
        module = module_of(addr)
        if module is None or addr == module.base:  # a pointer to a module's header, not into its code
            return False
        table = tables[id(module)]
        return table is None or table.rules_at(addr - 1 - module.base) is not None

    yield regs["$rip"], "context"
    for n in range(1, max_frames):
        pc, sp = regs["$rip"], regs["$rsp"]
        caller, trust = None, ""
        module = module_of(pc)
        table = tables[id(module)] if module is not None else None
        if module is not None and table is not None:
            rules = table.rules_at((pc if n == 1 else pc - 1) - module.base)
            found = unwind(rules, regs, read, _CALLEE_SAVED) if rules else None
            if found is not None:
                caller, trust = {**found, "$rip": found[".ra"], "$rsp": found[".cfa"]}, "cfi"
                if found[".ra"] == 0:
                    return  # the outermost frame says so
        if caller is None or not _plausible(caller, sp, module_of):
            caller, trust = _by_frame_pointer(regs, read, module_of), "fp"
        if caller is None or not _plausible(caller, sp, module_of):
            caller, trust = _by_scan(regs, read, could_return_to), "scan"
        if caller is None or not _plausible(caller, sp, module_of):
            return
        regs = caller
        yield regs["$rip"], trust


def _plausible(caller: Mapping[str, int], sp: int, module_of) -> bool:  # type: ignore[no-untyped-def]
    return caller["$rsp"] > sp and caller["$rip"] >= 0x1000 and module_of(caller["$rip"]) is not None


def _by_frame_pointer(regs: Mapping[str, int], read, module_of) -> dict[str, int] | None:  # type: ignore[no-untyped-def]
    fp = regs.get("$rbp")
    if fp is None or fp < regs["$rsp"] or fp % 8:
        return None
    saved, ret = read(fp), read(fp + 8)
    if saved is None or ret is None or module_of(ret) is None:
        return None
    return {**{r: regs[r] for r in _CALLEE_SAVED if r in regs}, "$rbp": saved, "$rip": ret, "$rsp": fp + 16}


def _by_scan(regs: Mapping[str, int], read, could_return_to) -> dict[str, int] | None:  # type: ignore[no-untyped-def]
    sp = regs["$rsp"]
    for i in range(_SCAN_WORDS):
        addr = sp + 8 * i
        value = read(addr)
        if value is None:
            return None
        if value >= 0x1000 and could_return_to(value):
            return {**{r: regs[r] for r in _CALLEE_SAVED if r in regs}, "$rip": value, "$rsp": addr + 8}
    return None
