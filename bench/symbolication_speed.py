"""Per-event symbolication time, cold (parse artifacts + symbolicate) and warm (artifacts reused).

Run: .venv/bin/python bench/symbolication_speed.py [--repeat N]
Inputs are public fixtures: glitchtip's webpack bundle.js(.map) for a 50-frame JS
event, rust-minidump's test_app.sym (Breakpad, 300 KB) for a 50-frame native event.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from protocol import DebugImage, Event, ExceptionValue, Frame
from symbolication import build_symcache, load_artifact, needed_artifacts, parse_minidump, symbolicate

FIX = Path("/work/shared/fixtures")
BUNDLE = FIX / "glitchtip-backend/events/tests/test_data/bundle.js"
SYM = FIX / "rust-minidump/testdata/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
DMP = FIX / "rust-minidump/testdata/test.dmp"
URL = "http://127.0.0.1:8080/dist/bundle.js"


def js_event() -> Event:
    line = BUNDLE.read_text().splitlines()[1]
    cols = [m.start() + 1 for m in re.finditer(r"function|throw|return", line)]
    step = max(1, len(cols) // 50)
    frames = tuple(Frame(function="?", abs_path=URL, lineno=2, colno=c) for c in cols[::step][:50])
    return Event(event_id="j" * 32, platform="javascript", exceptions=(ExceptionValue(type="Error", frames=frames),))


def native_event() -> Event:
    funcs = [int(m.group(1), 16) + int(m.group(2), 16) // 2
             for m in re.finditer(rb"^FUNC (?:m )?([0-9a-f]+) ([0-9a-f]+)", SYM.read_bytes(), re.M)
             if int(m.group(2), 16) > 8]
    step = max(1, len(funcs) // 50)
    base = 0x400000
    frames = tuple(Frame(instruction_addr=hex(base + f), platform="native") for f in funcs[::step][:50])
    image = DebugImage(type="pe", code_file="c:\\test_app.exe", debug_file="c:\\test_app.pdb",
                       debug_id="5a9832e5-2872-41c1-838e-d98914e9b7ff-1", image_addr=hex(base), image_size=0x2D000)
    return Event(event_id="n" * 32, platform="native", exceptions=(ExceptionValue(type="X", frames=frames),),
                 debug_images=(image,))


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, min(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    repeat = parser.parse_args().repeat

    js = js_event()
    minified, source_map = BUNDLE.read_bytes(), BUNDLE.with_suffix(".js.map").read_bytes()
    (min_ref,) = needed_artifacts(js)
    (map_ref,) = needed_artifacts(js, {min_ref: minified})
    raw = {min_ref: minified, map_ref: source_map}
    loaded = {min_ref: load_artifact("minified_source", minified), map_ref: load_artifact("source_map", source_map)}
    assert sum(f.raw is not None for f in symbolicate(js, loaded).event.exceptions[0].frames) == 50

    nat = native_event()
    (ref,) = needed_artifacts(nat)
    sym = SYM.read_bytes()
    cache_bytes = build_symcache(sym)
    warm_native = {ref: load_artifact("native_debug", cache_bytes)}
    resolved = symbolicate(nat, warm_native).event.exceptions[0].frames
    assert sum(f.raw is not None for f in resolved) >= 50, len(resolved)
    dump = DMP.read_bytes()

    rows = [
        (f"JS 50 frames, cold (parse {len(source_map) // 1024} KB map + {len(minified) // 1024} KB min.js)",
         lambda: symbolicate(js, raw)),
        ("JS 50 frames, warm (loaded artifacts reused)", lambda: symbolicate(js, loaded)),
        (f"native 50 frames, cold from Breakpad .sym ({len(sym) // 1024} KB)", lambda: symbolicate(nat, {ref: sym})),
        (f"native 50 frames, cold from stored SymCache ({len(cache_bytes) // 1024} KB)",
         lambda: symbolicate(nat, {ref: cache_bytes})),
        ("native 50 frames, warm (SymCache reused)", lambda: symbolicate(nat, warm_native)),
        ("build_symcache(.sym) once per upload", lambda: build_symcache(sym)),
        (f"parse_minidump(test.dmp, {len(dump) // 1024} KB) incl. frame-pointer walk",
         lambda: parse_minidump(dump, event_id="m")),
    ]
    print(f"median / best of {repeat} runs, one core")
    for label, fn in rows:
        median, best = timed(fn, repeat)
        print(f"  {label:<62} {median:8.3f} ms  (best {best:.3f} ms)")


if __name__ == "__main__":
    main()
