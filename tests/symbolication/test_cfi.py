"""Breakpad STACK CFI rules: found by address (INIT plus deltas), evaluated as postfix programs."""

from __future__ import annotations

import pytest

from symbolication.artifacts import build_cfi
from symbolication.cfi import evaluate, parse_cfi, unwind

SYM = """MODULE Linux x86_64 0 app
FUNC 1000 40 0 f
STACK CFI INIT 1000 40 .cfa: $rsp 8 + .ra: .cfa -8 + ^
STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^
STACK CFI 1004 .cfa: $rbp 16 +
STACK CFI INIT 2000 10 .cfa: $rsp 8 + .ra: .cfa -8 + ^
STACK CFI garbage
"""


@pytest.mark.parametrize("addr, cfa", [(0x1000, "$rsp 8 +"), (0x1001, "$rsp 16 +"), (0x1003, "$rsp 16 +"), (0x103F, "$rbp 16 +")])
def test_rules_in_force_accumulate_deltas_up_to_the_address(addr: int, cfa: str) -> None:
    rules = parse_cfi(SYM).rules_at(addr)
    assert rules is not None and rules[".cfa"] == cfa and rules[".ra"] == ".cfa -8 + ^"


@pytest.mark.parametrize("addr", [0xFFF, 0x1040, 0x2010, 0])
def test_no_rules_outside_every_init_range(addr: int) -> None:
    assert parse_cfi(SYM).rules_at(addr) is None


def test_unwind_reads_saved_registers_from_the_stack() -> None:
    memory = {0x7000: 0x7100, 0x7008: 0x401234}  # saved rbp, return address
    read = memory.get
    rules = parse_cfi(SYM).rules_at(0x1002)
    assert rules is not None
    caller = unwind(rules, {"$rsp": 0x7000, "$rip": 0x1002, "$rbx": 5}, read, ("$rbx", "$rbp"))
    assert caller == {"$rbx": 5, "$rbp": 0x7100, ".cfa": 0x7010, ".ra": 0x401234}


@pytest.mark.parametrize("expr, value", [
    ("$rsp 8 +", 0x108), ("$rsp 8 -", 0xF8), ("3 4 *", 12), ("7 2 /", 3), ("7 0 /", None), ("$rsp 16 @", 0x100),
    ("$unknown 8 +", None), ("+", None), ("1 2", None), ("0x10 ^", None), ("$rsp ^", 42), ("nonsense!", None),
])
def test_postfix_evaluation(expr: str, value: int | None) -> None:
    assert evaluate(expr, {"$rsp": 0x100}, {0x100: 42}.get) == value


def test_truncated_memory_stops_the_unwind() -> None:
    rules = parse_cfi(SYM).rules_at(0x1000)
    assert rules is not None and unwind(rules, {"$rsp": 0x7000}, lambda addr: None, ()) is None


def test_a_breakpad_sym_gives_its_stack_cfi_at_upload() -> None:
    sym = (b"MODULE Linux x86_64 B44DDB4A55D208A2740FBEC7584384C00 app\nFILE 0 app.c\nFUNC 1000 40 0 f\n1000 40 1 0\n"
           b"STACK CFI INIT 1000 40 .cfa: $rsp 8 + .ra: .cfa -8 + ^\nSTACK CFI 1001 .cfa: $rsp 16 +\n")
    table = parse_cfi(build_cfi(sym, None, "app.sym").decode())
    assert table.rules_at(0x1002) == {".cfa": "$rsp 16 +", ".ra": ".cfa -8 + ^"}
