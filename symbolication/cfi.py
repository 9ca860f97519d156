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
import re
from collections.abc import Callable, Mapping

import msgspec

Rules = tuple[tuple[str, str], ...]  # (register, postfix expression), in the record's order
_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a // b if b else None,
    "%": lambda a, b: a % b if b else None,
    "@": lambda a, b: a & ~(b - 1) if b > 0 else None,  # align down
}


class CfiTable(msgspec.Struct, frozen=True):
    """One module's rules, addresses relative to its base; each record block is parsed when asked for.

    A module's CFI can run to a million lines, so parsing finds only where each
    ``STACK CFI INIT`` block starts and ends (one regex pass) and reads a block's rules
    when the walk reaches it. A block's deltas follow its INIT line, as Breakpad writes them.
    """

    text: str
    starts: tuple[int, ...]  # INIT ranges, sorted by start
    ends: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]  # where each block's lines are in ``text``

    def rules_at(self, addr: int) -> dict[str, str] | None:
        """Rules in force at ``addr``: the INIT record's, updated by deltas up to ``addr``."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.ends[i]:
            return None
        lines = self.text[self.spans[i][0] : self.spans[i][1]].splitlines()
        try:
            rules = dict(_rules(lines[0].split()[5:]))
            for line in lines[1:]:
                parts = line.split()
                if len(parts) < 3 or parts[:2] != ["STACK", "CFI"] or parts[2] == "INIT":
                    continue
                if int(parts[2], 16) > addr:
                    break
                rules.update(_rules(parts[3:]))
        except (ValueError, IndexError):
            return None
        return rules


_INIT = re.compile(r"^STACK CFI INIT ([0-9a-fA-F]+) ([0-9a-fA-F]+) ", re.M)
_NEXT_BLOCK = re.compile(r"^(?:STACK CFI INIT |(?!STACK CFI ))", re.M)


def parse_cfi(text: str) -> CfiTable:
    """Index the ``STACK CFI`` blocks of ``text``; other lines (FUNC, FILE, ...) are skipped."""
    blocks = []
    for m in _INIT.finditer(text):
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end + 1
        nxt = _NEXT_BLOCK.search(text, line_end)
        block_end = nxt.start() if nxt else len(text)
        start = int(m.group(1), 16)
        blocks.append((start, start + int(m.group(2), 16), (m.start(), block_end)))
    blocks.sort(key=lambda b: b[0])
    return CfiTable(text, tuple(b[0] for b in blocks), tuple(b[1] for b in blocks), tuple(b[2] for b in blocks))


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
