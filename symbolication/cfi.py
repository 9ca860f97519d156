"""Breakpad ``STACK CFI`` records: parsed once per module, evaluated per frame.

Unwind rules come from a ``.sym`` file or from symbolic's ``CfiCache`` built from a
debug file at upload time (both are the same text). ``STACK CFI INIT addr size rules``
opens a function's range with its rules at entry; ``STACK CFI addr rules`` changes some
registers' rules from ``addr`` on. A rule is a postfix expression over registers,
``.cfa`` (the caller's stack pointer) and numbers, with ``^`` reading memory:
``.cfa: $rsp 16 +  .ra: .cfa -8 + ^  $rbp: .cfa -16 + ^``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

import msgspec

Rules = tuple[tuple[str, str], ...]  # (register, postfix expression), in the record's order
_MAX_RECORDS = 2_000_000
_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a // b if b else None,
    "%": lambda a, b: a % b if b else None,
    "@": lambda a, b: a & ~(b - 1) if b > 0 else None,  # align down
}


class CfiTable(msgspec.Struct, frozen=True):
    """One module's rules; addresses relative to the module's base."""

    starts: tuple[int, ...]  # INIT ranges, sorted by start
    ends: tuple[int, ...]
    init_rules: tuple[Rules, ...]
    deltas: tuple[tuple[tuple[int, Rules], ...], ...]  # per INIT range, sorted by address

    def rules_at(self, addr: int) -> dict[str, str] | None:
        """Rules in force at ``addr``: the INIT record's, updated by deltas up to ``addr``."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.ends[i]:
            return None
        rules = dict(self.init_rules[i])
        for at, delta in self.deltas[i]:
            if at > addr:
                break
            rules.update(delta)
        return rules


def parse_cfi(text: str) -> CfiTable:
    """The ``STACK CFI`` records of ``text``; other lines (FUNC, FILE, ...) are skipped, bad ones too."""
    ranges: list[tuple[int, int, Rules, list[tuple[int, Rules]]]] = []
    loose: list[tuple[int, Rules]] = []
    for n, line in enumerate(text.splitlines()):
        if n > _MAX_RECORDS:
            break
        if not line.startswith("STACK CFI "):
            continue
        parts = line[10:].split()
        try:
            if parts and parts[0] == "INIT":
                start, size = int(parts[1], 16), int(parts[2], 16)
                ranges.append((start, start + size, _rules(parts[3:]), []))
            elif parts:
                loose.append((int(parts[0], 16), _rules(parts[1:])))
        except (ValueError, IndexError):
            continue
    ranges.sort(key=lambda r: r[0])
    starts = [r[0] for r in ranges]
    for at, rules in loose:  # a delta belongs to the INIT range that contains it
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and at < ranges[i][1]:
            ranges[i][3].append((at, rules))
    return CfiTable(
        starts=tuple(starts),
        ends=tuple(r[1] for r in ranges),
        init_rules=tuple(r[2] for r in ranges),
        deltas=tuple(tuple(sorted(r[3], key=lambda d: d[0])) for r in ranges),
    )


def _rules(tokens: list[str]) -> Rules:
    out: list[tuple[str, list[str]]] = []
    for token in tokens:
        if token.endswith(":"):
            out.append((token[:-1], []))
        elif out:
            out[-1][1].append(token)
        else:
            raise ValueError("expression before any register")
    return tuple((reg, " ".join(expr)) for reg, expr in out)


def evaluate(expr: str, values: Mapping[str, int], read: Callable[[int], int | None]) -> int | None:
    """Value of a postfix ``expr``; ``None`` if it reads unknown registers or memory, or is malformed."""
    stack: list[int] = []
    for token in expr.split():
        if token in _BINARY:
            if len(stack) < 2:
                return None
            b, a = stack.pop(), stack.pop()
            result = _BINARY[token](a, b)
            if result is None:
                return None
            stack.append(result)
        elif token == "^":
            if not stack:
                return None
            value = read(stack.pop())
            if value is None:
                return None
            stack.append(value)
        elif token[:1] in ("$", ".") or token[:1].isalpha():
            if token not in values:
                return None
            stack.append(values[token])
        else:
            try:
                stack.append(int(token, 0) if token.lower().startswith(("0x", "-0x")) else int(token))
            except ValueError:
                return None
    return stack[-1] if len(stack) == 1 else None


def unwind(rules: Mapping[str, str], regs: Mapping[str, int], read: Callable[[int], int | None],
           callee_saved: tuple[str, ...]) -> dict[str, int] | None:
    """The caller's registers (``.cfa`` and ``.ra`` included), or ``None`` if the rules cannot be met."""
    if ".cfa" not in rules or ".ra" not in rules:
        return None
    cfa = evaluate(rules[".cfa"], regs, read)
    if cfa is None:
        return None
    values = {**regs, ".cfa": cfa}
    ra = evaluate(rules[".ra"], values, read)
    if ra is None:
        return None
    caller = {r: regs[r] for r in callee_saved if r in regs}
    for reg, expr in rules.items():
        if reg.startswith("$"):
            value = evaluate(expr, values, read)
            if value is None:
                caller.pop(reg, None)
            else:
                caller[reg] = value
    caller[".cfa"], caller[".ra"] = cfa, ra
    return caller
