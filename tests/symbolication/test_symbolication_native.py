"""Minidumps and native frames: rust-minidump's test.dmp and macOS inline dump, symbol files."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol import Event
from symbolication import (
    ArtifactError,
    MinidumpError,
    build_symcache,
    load_artifact,
    needed_artifacts,
    parse_minidump,
    symbolicate,
)
from tests.symbolication.helpers import FIXTURES, RUST_MINIDUMP, SYMBOLIC, load_event

TEST_APP_SYM = RUST_MINIDUMP / "symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
CRASH_CLIENT_SYM = RUST_MINIDUMP / "symbols/crash-client/509C0610949836F7B70BD88BCF03E5400/crash-client.sym"


def _dump(name: str) -> Event:
    return parse_minidump((RUST_MINIDUMP / name).read_bytes(), event_id="m" * 32)


def _with_symbols(event: Event, sym: Path, as_symcache: bool = False):  # type: ignore[no-untyped-def]
    data = sym.read_bytes()
    loaded = load_artifact("native_debug", build_symcache(data) if as_symcache else data)
    wanted = loaded.info.objects[0].debug_id
    return symbolicate(event, {r: loaded for r in needed_artifacts(event) if r.debug_id == wanted})


def test_test_dmp_crash_reason_address_os_and_modules() -> None:
    event = _dump("test.dmp")
    (exc,) = event.exceptions
    assert exc.type == "EXCEPTION_ACCESS_VIOLATION_WRITE" and exc.handled is False
    assert event.contexts["minidump"]["crash_address"] == "0x45"
    assert event.contexts["os"]["name"] == "Windows" and event.contexts["os"]["build"] == "Service Pack 2"
    assert event.contexts["device"]["arch"] == "x86"
    assert len(event.debug_images) == 13
    app = event.debug_images[0]
    assert (app.code_file, app.debug_file, app.image_addr, app.image_size) == ("c:\\test_app.exe", "c:\\test_app.pdb", "0x400000", 0x2D000)
    assert (app.debug_id, app.code_id) == ("5a9832e5-2872-41c1-838e-d98914e9b7ff-1", "45d35f6c2d000")
    assert exc.frames[-1].instruction_addr == "0x40429e" and exc.frames[-1].trust == "context"
    crashed = [t for t in event.threads if t.crashed]
    assert [t.id for t in crashed] == ["3060"] == [exc.thread_id]


@pytest.mark.parametrize("as_symcache", [False, True], ids=["sym", "symcache"])
def test_test_dmp_symbolicated_stack(as_symcache: bool) -> None:
    result = _with_symbols(_dump("test.dmp"), TEST_APP_SYM, as_symcache)
    frames = list(reversed(result.event.exceptions[0].frames))  # innermost first, as the snapshot lists
    assert [(f.function, f.filename, f.lineno) for f in frames[:3]] == [
        ("`anonymous namespace'::CrashFunction", "test_app.cc", 58),
        ("main", "test_app.cc", 65),
        ("__tmainCRTStartup", "crt0.c", 327),
    ]
    assert [f.instruction_addr for f in frames[:4]] == ["0x40429e", "0x404200", "0x4053ec", "0x7c816fd7"]
    assert frames[3].raw is None and frames[3].package == "C:\\WINDOWS\\system32\\kernel32.dll"
    assert any("kernel32.dll" in n for n in result.notes)  # its symbols were not given


def test_macos_inline_frames() -> None:
    result = _with_symbols(_dump("pipeline-inlines-macos-segv.dmp"), CRASH_CLIENT_SYM)
    event = result.event
    assert event.exceptions[0].type == "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS"
    assert event.contexts["minidump"]["crash_address"] == "0xffffffff80000042"
    frames = list(reversed(event.exceptions[0].frames))
    assert [(f.function, f.filename, f.lineno) for f in frames[:5]] == [
        ("core::ptr::write_volatile::<u8>", "mod.rs", 1574),
        ("sadness_generator::raise_segfault", "lib.rs", 133),
        ("crash_client::real_main::{closure#1}", "main.rs", 88),
        ("crash_client::real_main", "main.rs", 132),
        ("crash_client::main", "main.rs", 142),
    ]
    assert frames[0].instruction_addr == frames[1].instruction_addr  # inlinee of the same address
    assert frames[16].function == "std::rt::lang_start_internal" and frames[17].function == "main"
    thread_names = {t.name for t in event.threads}
    assert "main" in thread_names


def test_linux_dump_reason_and_elf_ids() -> None:
    event = _dump("linux-mini.dmp")
    assert event.exceptions[0].type == "SIGSEGV"
    assert event.contexts["minidump"]["crash_address"] == "0x45"
    assert event.contexts["os"]["name"] == "Linux"
    crash = event.debug_images[0]
    assert crash.code_id == "f1c3bcc0279865fe3058404b2831d9e64135386c"
    assert crash.debug_id == "c0bcc3f1-9827-fe65-3058-404b2831d9e6"
    assert event.exceptions[0].frames[-1].instruction_addr == "0x401d72"


def test_padded_module_list_of_symbolic_macos_dump() -> None:
    """Breakpad's macOS writer pads the list count to 8 bytes; modules must still line up."""
    event = parse_minidump((SYMBOLIC / "minidump/crash_macos.dmp").read_bytes(), event_id="c" * 32)
    app = event.debug_images[0]
    assert app.code_file == "/Users/jauer/Coding/breakpad/examples/target/crash_macos"
    assert (app.image_addr, app.debug_id) == ("0x10215c000", "3f58bc3d-eabe-3361-b5fb-52a676298598")
    assert event.exceptions[0].type == "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS"
    assert event.contexts["minidump"]["crash_address"] == "0x45"


def test_cfi_only_breakpad_file_is_not_a_symbol_file() -> None:
    with pytest.raises(ArtifactError):
        load_artifact("native_debug", (SYMBOLIC / "minidump/crash_linux.sym").read_bytes(), "crash_linux.sym")


_DUMPS = sorted((FIXTURES / "bugsink-event-samples/minidumps").glob("*.dmp"))


@pytest.mark.parametrize("path", [p for p in _DUMPS if p.name.startswith("microdump")], ids=lambda p: p.name)
def test_microdumps_are_refused(path: Path) -> None:
    """Android microdumps are logcat text, not minidumps."""
    with pytest.raises(MinidumpError, match="no MDMP signature"):
        parse_minidump(path.read_bytes(), event_id="u")


@pytest.mark.parametrize("path", [p for p in _DUMPS if not p.name.startswith("microdump")], ids=lambda p: p.name)
def test_every_bugsink_minidump_parses(path: Path) -> None:
    event = parse_minidump(path.read_bytes(), event_id="b" * 32)
    assert event.platform == "native" and event.debug_images
    assert symbolicate(event, {}).event.exceptions == event.exceptions


def test_truncated_minidump() -> None:
    data = (RUST_MINIDUMP / "test.dmp").read_bytes()
    with pytest.raises(MinidumpError):
        parse_minidump(data[:16], event_id="t")
    with pytest.raises(MinidumpError):
        parse_minidump(b"PK\x03\x04" + data[4:], event_id="t")
    event = parse_minidump(data[: len(data) // 3], event_id="t")  # streams past the cut become notes
    assert event.notes


def test_sdk_native_event_without_symbols() -> None:
    event = load_event(FIXTURES / "sentry-samples/android-ndk.json")
    refs = needed_artifacts(event)
    assert refs and all(r.kind == "native_debug" and r.debug_id for r in refs)
    result = symbolicate(event, {})
    assert set(result.missing) == set(refs)
    assert result.event.exceptions == event.exceptions
