"""Source reduction: the source libcst is given, with the blocks no rule can fire in left out."""

from __future__ import annotations

import re
from typing import Iterable

from asynclint.analysis.astwalk import MODULE, FileFacts

_BOM = b"\xef\xbb\xbf"


def reduced_source(source: bytes, facts: FileFacts, keep: Iterable[int]) -> bytes:
    """The source with every block not in `keep` left out, line numbers unchanged.

    A block left out becomes its stub (`def name(): pass`, which binds the same name) on its
    `def` line, and blank lines. Module-level code is always kept (imports, assignments,
    constants, `if`/`try` blocks), and so is a class body outside its methods; a kept class
    keeps every method that assigns an attribute a kept method of the class names (what
    `self.x` holds comes from there), until none is added. What the rules see of a kept
    block is exactly what they see in the whole file.

    Unless module-level code is kept for itself (MODULE in `keep`: a rule may report there),
    its comment lines between statements are left out too (from the third line on: not an
    encoding declaration), and the blank lines at the end, so that a comment added there
    changes nothing libcst is given (the result cache then reuses the findings, see
    `engine/lint.py`).
    """
    kept = set(keep) | facts.always
    kept |= {facts.blocks[n].parent for n in kept if n in facts.blocks and facts.blocks[n].parent != MODULE}
    lines = source.splitlines(keepends=True)
    _keep_setters(facts, kept, lines)
    for number, block in facts.blocks.items():
        if number in kept or block.last > len(lines):
            continue
        if block.parent != MODULE and block.parent not in kept:
            continue  # gone with its class
        for line_number in range(block.first, block.last + 1):
            line = lines[line_number - 1]
            body = line.rstrip(b"\r\n")
            if line_number == block.header:
                indent = body[: len(body) - len(body.lstrip(b" \t\f"))]
                lines[line_number - 1] = indent + block.stub.encode("ascii") + line[len(body) :]
            else:
                prefix = _BOM if line_number == 1 and body.startswith(_BOM) else b""
                lines[line_number - 1] = prefix + line[len(body) :]
    if MODULE not in kept:
        _leave_out_comments(lines, facts.statements)
    return b"".join(lines)


def _leave_out_comments(lines: list[bytes], statements: list[tuple[int, int]]) -> None:
    """Blank the comment lines outside every module-level statement (from the third line on),
    and drop the blank lines at the end."""
    inside = bytearray(len(lines) + 1)
    for first, last in statements:
        for number in range(first, min(last, len(lines)) + 1):
            inside[number] = 1
    for number in range(3, len(lines) + 1):
        line = lines[number - 1]
        if not inside[number] and line.lstrip(b" \t\f").startswith(b"#"):
            lines[number - 1] = line[len(line.rstrip(b"\r\n")) :]
    while len(lines) > 2 and not lines[-1].strip():
        lines.pop()


_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _only_assigned(text: bytes, name: str) -> bool:
    """Whether every mention of `name` in the text is a plain `self.name = ...` (or `self.name: T = ...`)."""
    word = re.escape(name.encode("ascii"))
    mentions = len(re.findall(rb"(?<![A-Za-z0-9_])" + word + rb"(?![A-Za-z0-9_])", text))
    assigned = len(re.findall(rb"(?<![A-Za-z0-9_.])self\.\s*" + word + rb"\s*(?::[^=\n]*)?=(?!=)", text))
    return mentions == assigned


def _keep_setters(facts: FileFacts, kept: set[int], lines: list[bytes]) -> None:
    """Add to `kept` the methods of kept classes that assign an attribute a kept method names.

    A method kept only for what it assigns names what it reads: an attribute it only
    assigns there (`self.x = ...`, never read in it) asks for no other setter of it.
    """
    words: dict[int, set[str]] = {}
    wanted = set(kept)  # kept for themselves: everything they name counts

    def named(number: int) -> set[str]:
        if number not in words:
            block = facts.blocks[number]
            text = b"".join(lines[block.first - 1 : block.last])
            found = {w.decode("ascii") for w in _WORD.findall(text)}
            if number not in wanted:
                found -= {name for name in block.sets if name in found and _only_assigned(text, name)}
            words[number] = found
        return words[number]

    setters = [n for n, b in facts.blocks.items() if b.sets and b.parent in kept and n not in kept]
    grown = True
    while grown and setters:
        grown = False
        for number in list(setters):
            block = facts.blocks[number]
            siblings = (n for n in kept if n in facts.blocks and facts.blocks[n].parent == block.parent)
            if any(not block.sets.isdisjoint(named(n)) for n in siblings):
                kept.add(number)
                setters.remove(number)
                grown = True
