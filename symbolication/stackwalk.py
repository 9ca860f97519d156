"""Walk a thread's stack by frame pointers, starting from its CPU context.

Without debug files this finds callers of code built with frame pointers (x86 /Oy-,
macOS and most arm64 code). Code that omits them (most Linux x86_64 builds) needs call
frame information: with the modules' ``STACK CFI`` rules (``symbolication.cfi``, from
the uploaded debug files) x86_64 stacks are walked by CFI first, frame pointers second
and stack scanning last, as Breakpad does.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from symbolication.cfi import CfiTable
from symbolication.cfi_walk import walk_amd64
from symbolication.minidump import MemoryRegion, Module

X86, AMD64, ARM, ARM64, ARM64_OLD = 0, 9, 5, 12, 0x8003
ARCH_NAMES = {X86: "x86", AMD64: "x86_64", ARM: "arm", ARM64: "arm64", ARM64_OLD: "arm64"}
_MAX_FRAMES = 256
_PAC_MASK = (1 << 47) - 1  # arm64e return addresses carry a pointer signature above bit 47


@dataclass(frozen=True)
class _Layout:
    """Byte offsets of pc, sp and fp in the minidump CONTEXT record, and pointer size."""

    pc: int
    sp: int
    fp: int
    ptr: int


_LAYOUTS = {
    X86: _Layout(pc=184, sp=196, fp=180, ptr=4),
    AMD64: _Layout(pc=248, sp=152, fp=160, ptr=8),
    ARM64: _Layout(pc=264, sp=256, fp=240, ptr=8),
    ARM64_OLD: _Layout(pc=264, sp=256, fp=240, ptr=8),
    ARM: _Layout(pc=64, sp=56, fp=48, ptr=4),
}


@dataclass(frozen=True)
class WalkedFrame:
    pc: int
    trust: str  # "context" for the pc in the CPU context, then "cfi", "fp" or "scan": how the caller was found


def context_pc(context: bytes, arch: int | None) -> int | None:
    layout = _LAYOUTS.get(arch) if arch is not None else None
    if layout is None or len(context) < layout.pc + layout.ptr:
        return None
    return _read_int(context, layout.pc, layout.ptr)


def walk(
    context: bytes,
    arch: int | None,
    stack: MemoryRegion | None,
    modules: Sequence[Module],
    cfi: Mapping[str, CfiTable] | None = None,
) -> list[WalkedFrame]:
    """Frames outermost-last as found (innermost first); stops at the first implausible step.

    ``cfi`` maps a module's normalised debug id to its unwind rules.
    """
    pc = context_pc(context, arch)
    if pc is None:
        return []
    if cfi and arch == AMD64 and stack is not None and len(context) >= 256:
        return [WalkedFrame(f_pc, trust) for f_pc, trust in walk_amd64(context, stack, modules, cfi, _MAX_FRAMES)]
    frames = [WalkedFrame(pc, "context")]
    layout = _LAYOUTS[arch]  # type: ignore[index]
    if stack is None or arch == ARM:  # arm32 frame pointers (r7 vs r11) are not reliable
        return frames
    sp = _read_int(context, layout.sp, layout.ptr)
    fp = _read_int(context, layout.fp, layout.ptr)
    ptr = layout.ptr
    while len(frames) < _MAX_FRAMES:
        if fp == 0 or fp < sp or fp % ptr:
            break
        saved = stack.read(fp, 2 * ptr)
        if saved is None:
            break
        caller_fp = _read_int(saved, 0, ptr)
        ret = _read_int(saved, ptr, ptr)
        if arch in (ARM64, ARM64_OLD):
            ret &= _PAC_MASK
        if ret < 0x1000 or not _in_module(ret, modules):
            break
        frames.append(WalkedFrame(ret, "fp"))
        if caller_fp != 0 and caller_fp <= fp:
            break  # the chain must move up the stack, or it loops
        sp, fp = fp + 2 * ptr, caller_fp
    return frames


def _read_int(buf: bytes, offset: int, size: int) -> int:
    return struct.unpack_from("<I" if size == 4 else "<Q", buf, offset)[0]


def _in_module(addr: int, modules: Sequence[Module]) -> bool:
    return any(m.base <= addr < m.base + m.size for m in modules)
