"""How long a module's STACK CFI takes to index and to answer lookups (the walk's cost per module).

Run: .venv/bin/python bench/cfi_parse.py [INIT blocks, default 200000]
Prints figures; the machine is shared, so compare runs made at the same time.
"""

from __future__ import annotations

import random
import sys
import time

from symbolication.cfi import parse_cfi


def synthetic(blocks: int) -> str:
    """A module's CFI shaped like gcc output: an INIT per function, a delta or two after most."""
    lines, addr = [], 0x1000
    for _ in range(blocks):
        size = random.randint(0x10, 0x400)
        lines.append(f"STACK CFI INIT {addr:x} {size:x} .cfa: $rsp 8 + .ra: .cfa -8 + ^")
        if size > 0x20:
            lines.append(f"STACK CFI {addr + 1:x} .cfa: $rsp 16 + $rbp: .cfa -16 + ^")
            lines.append(f"STACK CFI {addr + 4:x} .cfa: $rbp 16 +")
        addr += size
    return "\n".join(lines) + "\n"


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    random.seed(7)
    text = synthetic(blocks)
    t0 = time.perf_counter()
    table = parse_cfi(text)
    t1 = time.perf_counter()
    probes = [random.choice(table.starts) + 5 for _ in range(10_000)]
    for addr in probes:
        table.rules_at(addr)
    t2 = time.perf_counter()
    print(f"{blocks} INIT blocks, {len(text) / 1e6:.1f} MB of CFI text")
    print(f"index: {(t1 - t0) * 1000:.0f} ms; lookup: {(t2 - t1) / len(probes) * 1e6:.1f} us each")


if __name__ == "__main__":
    main()
