"""Turn a minidump into an ``Event``: crash reason and address, OS/CPU, modules, threads.

Sentry's layout is followed: the crashing thread's frames go on the exception (the
thread keeps ``crashed=True`` and no frames), every module becomes a debug image so
``symbolicate`` can resolve the frames once the server has the debug files.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from protocol.model import DebugImage, Event, ExceptionValue, Frame, Thread
from symbolication import stackwalk
from symbolication.artifacts import norm_debug_id
from symbolication.cfi import CfiTable
from symbolication.minidump import Minidump, Module, RawThread, read_minidump

_OS = {0: "Windows", 1: "Windows", 2: "Windows", 3: "Windows CE", 0x8000: "Unix", 0x8101: "macOS", 0x8102: "iOS",
       0x8201: "Linux", 0x8202: "Solaris", 0x8203: "Android", 0x8204: "PS3", 0x8205: "NaCl", 0x8206: "Fuchsia"}
_IMAGE_TYPE = {"Windows": "pe", "macOS": "macho", "iOS": "macho", "Linux": "elf", "Android": "elf", "Fuchsia": "elf"}
_WINDOWS = {0xC0000005: "EXCEPTION_ACCESS_VIOLATION", 0x80000003: "EXCEPTION_BREAKPOINT",
            0x80000004: "EXCEPTION_SINGLE_STEP", 0xC0000006: "EXCEPTION_IN_PAGE_ERROR",
            0xC0000008: "EXCEPTION_INVALID_HANDLE", 0xC000001D: "EXCEPTION_ILLEGAL_INSTRUCTION",
            0xC0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO", 0xC0000095: "EXCEPTION_INT_OVERFLOW",
            0xC0000096: "EXCEPTION_PRIV_INSTRUCTION", 0xC00000FD: "EXCEPTION_STACK_OVERFLOW",
            0xC0000374: "EXCEPTION_HEAP_CORRUPTION", 0xC0000409: "EXCEPTION_STACK_BUFFER_OVERRUN",
            0xC0000602: "EXCEPTION_FAIL_FAST", 0xE06D7363: "Unhandled C++ Exception", 0x40000015: "STATUS_FATAL_APP_EXIT"}
_ACCESS = {0: "_READ", 1: "_WRITE", 8: "_EXEC"}
_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
            8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM", 31: "SIGSYS"}
_SEGV = {1: "SEGV_MAPERR", 2: "SEGV_ACCERR"}
_MACH = {1: "EXC_BAD_ACCESS", 2: "EXC_BAD_INSTRUCTION", 3: "EXC_ARITHMETIC", 4: "EXC_EMULATION",
         5: "EXC_SOFTWARE", 6: "EXC_BREAKPOINT", 7: "EXC_SYSCALL", 8: "EXC_MACH_SYSCALL", 9: "EXC_RPC_ALERT",
         10: "EXC_CRASH", 11: "EXC_RESOURCE", 12: "EXC_GUARD", 0x43507378: "EXC_CORPSE_NOTIFY (simulated)"}
_KERN = {1: "KERN_INVALID_ADDRESS", 2: "KERN_PROTECTION_FAILURE", 0x101: "EXC_ARM_DA_ALIGN", 0x102: "EXC_ARM_DA_DEBUG"}


def parse_minidump(data: bytes, *, event_id: str, base: Event | None = None,
                   cfi: Mapping[str, CfiTable] | None = None) -> Event:
    """An event from a minidump; ``base`` (the SDK's event sent alongside) supplies the rest.

    ``cfi``: unwind rules by normalised module debug id (see ``module_debug_ids``).
    Raises ``MinidumpError`` only when the header or stream directory is unusable.
    """
    dump = read_minidump(data, event_id)
    os_name = _OS.get(dump.platform_id) if dump.platform_id is not None else None
    arch = stackwalk.ARCH_NAMES.get(dump.cpu_arch) if dump.cpu_arch is not None else None
    reason, address = crash_reason(dump, os_name)
    threads, crashed_frames = _threads(dump, cfi or {})
    exceptions = ()
    if reason is not None:
        exceptions = (
            ExceptionValue(
                type=reason,
                value=f"Fatal Error: {reason}",
                mechanism="minidump",
                handled=False,
                thread_id=str(dump.exception_thread) if dump.exception_thread is not None else None,
                frames=crashed_frames,
            ),
        )
    contexts = dict(base.contexts) if base else {}
    if os_name:
        contexts["os"] = {**contexts.get("os", {}), "name": os_name, "version": dump.os_version, "build": dump.os_build}
    if arch:
        contexts["device"] = {**contexts.get("device", {}), "arch": arch}
    contexts["minidump"] = {
        "crash_reason": reason,
        "crash_address": hex(address) if address is not None else None,
        "crashing_thread": dump.exception_thread,
        "cpu_count": dump.cpu_count,
        "timestamp": dump.timestamp,
    }
    image_type = _IMAGE_TYPE.get(os_name or "", None)
    images = tuple(_image(m, image_type, arch) for m in dump.modules)
    notes = (*(base.notes if base else ()), *dump.notes)
    fields = dict(platform="native", level="fatal", exceptions=exceptions, threads=threads,
                  debug_images=images, contexts=contexts, notes=notes)
    if base is not None:
        return msgspec.structs.replace(base, **fields)  # type: ignore[arg-type]
    return Event(event_id=event_id, timestamp=float(dump.timestamp) or None, **fields)  # type: ignore[arg-type]


def module_debug_ids(data: bytes, event_id: str) -> list[str]:
    """Normalised debug ids of the dump's modules: whose unwind rules a walk could use."""
    return [norm_debug_id(m.debug_id) for m in read_minidump(data, event_id).modules if m.debug_id]


def crash_reason(dump: Minidump, os_name: str | None) -> tuple[str | None, int | None]:
    """(reason, crash address) in the words Breakpad and Sentry use."""
    code, flags, info = dump.exception_code, dump.exception_flags or 0, dump.exception_info
    if code is None:
        return None, None
    address = dump.exception_address
    if os_name in ("Windows", "Windows CE") or os_name is None and code in _WINDOWS:
        name = _WINDOWS.get(code, f"0x{code:08x}")
        if code in (0xC0000005, 0xC0000006) and len(info) >= 2:
            name += _ACCESS.get(info[0], "")
            address = info[1]
        return name, address
    if os_name in ("macOS", "iOS"):
        name = _MACH.get(code, f"0x{code:08x}")
        if code == 1 and flags in _KERN:
            name += f" / {_KERN[flags]}"
        return name, address
    name = _SIGNALS.get(code, f"signal {code}")
    if code == 11 and flags in _SEGV:
        name += f" / {_SEGV[flags]}"
    return name, address


def _image(module: Module, image_type: str | None, arch: str | None) -> DebugImage:
    return DebugImage(
        type=image_type or ("pe" if module.cv_kind in ("pdb70", "pdb20") else "elf" if module.cv_kind == "elf" else None),
        code_file=module.name or None,
        debug_file=module.debug_file,
        debug_id=module.debug_id,
        code_id=module.code_id,
        image_addr=hex(module.base),
        image_size=module.size,
        arch=arch,
    )


def _frames(dump: Minidump, thread: RawThread, context: bytes, cfi: Mapping[str, CfiTable]) -> tuple[Frame, ...]:
    walked = stackwalk.walk(context, dump.cpu_arch, thread.stack, dump.modules, cfi)
    frames = []
    for w in walked:
        module = next((m for m in dump.modules if m.base <= w.pc < m.base + m.size), None)
        frames.append(Frame(instruction_addr=hex(w.pc), trust=w.trust, package=module.name if module else None,
                            platform="native"))
    return tuple(reversed(frames))  # the event's order: innermost last


def _threads(dump: Minidump, cfi: Mapping[str, CfiTable]) -> tuple[tuple[Thread, ...], tuple[Frame, ...]]:
    threads = []
    crashed_frames: tuple[Frame, ...] = ()
    for raw in dump.threads:
        crashed = raw.thread_id == dump.exception_thread
        context = dump.exception_context if crashed and dump.exception_context else raw.context
        frames = _frames(dump, raw, context, cfi)
        if crashed:
            crashed_frames = frames
        threads.append(Thread(id=str(raw.thread_id), name=dump.thread_names.get(raw.thread_id) or None,
                              crashed=crashed, current=crashed, frames=() if crashed else frames))
    return tuple(threads), crashed_frames
