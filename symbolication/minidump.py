"""Read a minidump's stream directory: system info, exception, modules, threads, memory.

symbolic 13.9 dropped minidump processing from its Python API (only ``CfiCache`` is
left), so the documented MINIDUMP_* layout is read here with ``struct``. Everything is
bounds-checked: a truncated or hostile dump yields what could be read plus notes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from symbolication.errors import MinidumpError

_SIGNATURE = b"MDMP"
THREAD_LIST, MODULE_LIST, MEMORY_LIST, EXCEPTION, SYSTEM_INFO, MEMORY64_LIST = 3, 4, 5, 6, 7, 9
THREAD_NAMES = 24
_MAX_ITEMS = 100_000


@dataclass
class MemoryRegion:
    start: int
    data: bytes

    def read(self, addr: int, size: int) -> bytes | None:
        off = addr - self.start
        if off < 0 or off + size > len(self.data):
            return None
        return self.data[off : off + size]


@dataclass
class Module:
    base: int
    size: int
    name: str
    code_id: str | None
    debug_id: str | None
    debug_file: str | None
    cv_kind: str | None  # pdb70, pdb20, elf


@dataclass
class RawThread:
    thread_id: int
    stack: MemoryRegion | None
    context: bytes


@dataclass
class Minidump:
    """What was read; ``notes`` say what was skipped and why."""

    timestamp: int
    platform_id: int | None = None
    cpu_arch: int | None = None
    cpu_count: int | None = None
    os_version: str | None = None
    os_build: str | None = None
    exception_thread: int | None = None
    exception_code: int | None = None
    exception_flags: int | None = None
    exception_address: int | None = None
    exception_info: tuple[int, ...] = ()
    exception_context: bytes | None = None
    modules: list[Module] = field(default_factory=list)
    threads: list[RawThread] = field(default_factory=list)
    thread_names: dict[int, str] = field(default_factory=dict)
    memory: list[MemoryRegion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def unpack(self, fmt: str, offset: int) -> tuple:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(self.data):
            raise ValueError(f"{size} bytes at {offset:#x} lie past the end ({len(self.data)} bytes)")
        return struct.unpack_from(fmt, self.data, offset)

    def blob(self, rva: int, size: int) -> bytes:
        if rva < 0 or size < 0 or rva + size > len(self.data):
            raise ValueError(f"{size} bytes at {rva:#x} lie past the end")
        return self.data[rva : rva + size]

    def string(self, rva: int) -> str:
        (length,) = self.unpack("<I", rva)
        return self.blob(rva + 4, min(length, 4096)).decode("utf-16-le", "replace")


def _first_record(r: _Reader, rva: int, size: int, record: int) -> tuple[int, int]:
    """(count, offset of the first record): some writers pad the 4-byte count to 8 bytes."""
    (count,) = r.unpack("<I", rva)
    pad = 4 if size == 8 + count * record else 0
    return min(count, _MAX_ITEMS), rva + 4 + pad


def read_minidump(data: bytes, event_id: str | None = None) -> Minidump:
    """Parse the header and every known stream; raise ``MinidumpError`` only for a bad header."""
    if len(data) < 32 or data[:4] != _SIGNATURE:
        raise MinidumpError(event_id, "not a minidump (no MDMP signature)")
    r = _Reader(data)
    _sig, _version, count, dir_rva, _checksum, timestamp = r.unpack("<4sIIIII", 0)
    if count > 1000:
        raise MinidumpError(event_id, f"implausible stream count {count}")
    dump = Minidump(timestamp=timestamp)
    readers = {
        SYSTEM_INFO: _system_info,
        EXCEPTION: _exception,
        MODULE_LIST: _modules,
        THREAD_LIST: _threads,
        MEMORY_LIST: _memory,
        THREAD_NAMES: _thread_names,
    }
    for i in range(count):
        try:
            kind, size, rva = r.unpack("<III", dir_rva + 12 * i)
        except ValueError as exc:
            raise MinidumpError(event_id, f"stream directory truncated: {exc}") from exc
        reader = readers.get(kind)
        if reader is None:
            continue
        try:
            reader(r, rva, size, dump)
        except (ValueError, struct.error) as exc:
            dump.notes.append(f"minidump stream {kind} unreadable: {exc}")
    return dump


def _system_info(r: _Reader, rva: int, size: int, dump: Minidump) -> None:
    arch, _level, _rev, ncpu, _ptype, major, minor, build, platform, csd_rva = r.unpack("<HHHBBIIIII", rva)
    dump.cpu_arch, dump.cpu_count, dump.platform_id = arch, ncpu, platform
    dump.os_version = f"{major}.{minor}.{build}"
    if csd_rva:
        dump.os_build = r.string(csd_rva).strip() or None


def _exception(r: _Reader, rva: int, size: int, dump: Minidump) -> None:
    tid, _align, code, flags, _record, address, nparams, _unused = r.unpack("<IIIIQQII", rva)
    info = r.unpack("<15Q", rva + 40)
    ctx_size, ctx_rva = r.unpack("<II", rva + 160)
    dump.exception_thread, dump.exception_code, dump.exception_flags = tid, code, flags
    dump.exception_address = address
    dump.exception_info = tuple(info[: min(nparams, 15)])
    dump.exception_context = r.blob(ctx_rva, ctx_size) if ctx_size else None


def _modules(r: _Reader, rva: int, size: int, dump: Minidump) -> None:
    count, first = _first_record(r, rva, size, 108)
    for i in range(count):
        off = first + 108 * i
        base, img_size, _checksum, stamp, name_rva = r.unpack("<QIIII", off)
        cv_size, cv_rva = r.unpack("<II", off + 76)
        name = r.string(name_rva) if name_rva else ""
        code_id, debug_id, debug_file, cv_kind = _codeview(r.blob(cv_rva, cv_size) if cv_size else b"")
        if cv_kind in ("pdb70", "pdb20") and _is_pe(name, dump):
            code_id = f"{stamp:08x}{img_size:x}"
        dump.modules.append(Module(base, img_size, name, code_id, debug_id, debug_file, cv_kind))


def _is_pe(name: str, dump: Minidump) -> bool:
    return dump.platform_id in (0, 1, 2, 3) or name.lower().endswith((".exe", ".dll", ".sys"))


def _guid(raw: bytes) -> str:
    d1, d2, d3 = struct.unpack_from("<IHH", raw)
    return f"{d1:08x}-{d2:04x}-{d3:04x}-{raw[8:10].hex()}-{raw[10:16].hex()}"


def _codeview(cv: bytes) -> tuple[str | None, str | None, str | None, str | None]:
    """(code_id, debug_id, debug_file, kind) from a CodeView record."""
    if cv[:4] == b"RSDS" and len(cv) >= 24:
        age = struct.unpack_from("<I", cv, 20)[0]
        guid = _guid(cv[4:20])
        name = cv[24:].split(b"\0", 1)[0].decode("utf-8", "replace") or None
        return guid.replace("-", ""), f"{guid}-{age:x}" if age else guid, name, "pdb70"
    if cv[:4] == b"NB10" and len(cv) >= 16:
        _off, sig, age = struct.unpack_from("<III", cv, 4)
        name = cv[16:].split(b"\0", 1)[0].decode("utf-8", "replace") or None
        return None, f"{sig:08x}-0000-0000-0000-000000000000-{age:x}", name, "pdb20"
    if cv[:4] == b"LEpB" and len(cv) > 4:  # MD_CVINFOELF_SIGNATURE, little-endian
        build_id = cv[4:]
        padded = (build_id + bytes(16))[:16]
        return build_id.hex(), _guid(padded), None, "elf"
    return None, None, None, None


def _threads(r: _Reader, rva: int, size: int, dump: Minidump) -> None:
    count, first = _first_record(r, rva, size, 48)
    for i in range(count):
        off = first + 48 * i
        tid, _suspend, _prio_class, _prio, _teb, stack_start, stack_size, stack_rva, ctx_size, ctx_rva = r.unpack(
            "<IIIIQQIIII", off
        )
        try:
            stack = MemoryRegion(stack_start, r.blob(stack_rva, stack_size)) if stack_size else None
        except ValueError:
            stack = None
            dump.notes.append(f"thread {tid}: stack memory lies outside the file")
        dump.threads.append(RawThread(tid, stack, r.blob(ctx_rva, ctx_size) if ctx_size else b""))


def _memory(r: _Reader, rva: int, size: int, dump: Minidump) -> None:
    count, first = _first_record(r, rva, size, 16)
    for i in range(count):
        start, mem_size, mem_rva = r.unpack("<QII", first + 16 * i)
        try:
            dump.memory.append(MemoryRegion(start, r.blob(mem_rva, mem_size)))
        except ValueError:
            continue


def _thread_names(r: _Reader, rva: int, size: int, dump: Minidump) -> None:
    (count,) = r.unpack("<I", rva)
    for i in range(min(count, _MAX_ITEMS)):
        tid, name_rva = r.unpack("<IQ", rva + 4 + 12 * i)
        if name_rva:
            dump.thread_names[tid] = r.string(name_rva)
