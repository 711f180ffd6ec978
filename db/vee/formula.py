"""Virtual-meter formulas: a small recursive-descent parser (no eval) into a JSON tree that
smf.virtual_define / smf.virtual_sql (db/functions/080_virtual.sql) compile to SQL.

Grammar (whitespace between tokens is ignored):
    expr   := term (('+' | '-') term)*
    term   := factor (('*' | '/') factor)*
    factor := ('-' | '+') factor | NUMBER | meter | '(' expr ')'
    meter  := 'M' '(' NAME ')' '.' CHANNEL
NUMBER is a decimal (1, 0.98, .5, 1e3); NAME a meter serial or a virtual meter's name
([0-9A-Za-z_-]); CHANNEL an energy channel (active_fwd, active_rev, reactive_ind_fwd, ...).
The operators are also accepted as the Unicode signs the issue writes (− × ÷).
Tree nodes: {"num": "0.98"}, {"meter": "123", "channel": "active_fwd"},
{"op": "+|-|*|/", "args": [a, b]}, {"op": "neg", "args": [a]}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from db.errors import InvalidParameter

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<meter>M\s*\(\s*(?P<name>[0-9A-Za-z_-]+)\s*\)\s*\.\s*(?P<channel>[a-z_]+))"
    r"|(?P<op>[-+*/()\u2212\u00d7\u00f7]))"
)
_UNICODE = {"\u2212": "-", "\u00d7": "*", "\u00f7": "/"}


class FormulaError(InvalidParameter):
    """A formula that does not parse; the message names the position (1-based column)."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, meter, op, end
    value: Any
    col: int


def tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            col = pos + 1 + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise FormulaError(f"column {col}: unexpected {text[col - 1 :][:12]!r}")
        col = m.start(m.lastgroup or 0) + 1
        if m.group("num") is not None:
            toks.append(_Tok("num", m.group("num"), col))
        elif m.group("meter") is not None:
            toks.append(_Tok("meter", (m.group("name"), m.group("channel")), col))
        else:
            toks.append(_Tok("op", _UNICODE.get(m.group("op"), m.group("op")), col))
        pos = m.end()
    toks.append(_Tok("end", None, len(text) + 1))
    return toks


class _Parser:
    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expr(self) -> dict[str, Any]:
        node = self.term()
        while self.peek().kind == "op" and self.peek().value in "+-":
            op = self.take().value
            node = {"op": op, "args": [node, self.term()]}
        return node

    def term(self) -> dict[str, Any]:
        node = self.factor()
        while self.peek().kind == "op" and self.peek().value in "*/":
            op = self.take().value
            node = {"op": op, "args": [node, self.factor()]}
        return node

    def factor(self) -> dict[str, Any]:
        tok = self.take()
        if tok.kind == "op" and tok.value == "-":
            return {"op": "neg", "args": [self.factor()]}
        if tok.kind == "op" and tok.value == "+":
            return self.factor()
        if tok.kind == "num":
            return {"num": tok.value}
        if tok.kind == "meter":
            name, channel = tok.value
            return {"meter": name, "channel": channel}
        if tok.kind == "op" and tok.value == "(":
            node = self.expr()
            close = self.take()
            if close.kind != "op" or close.value != ")":
                raise FormulaError(f"column {close.col}: expected ')'")
            return node
        what = "end of formula" if tok.kind == "end" else repr(tok.value)
        raise FormulaError(
            f"column {tok.col}: expected a number, M(serial).channel or '(', got {what}"
        )


def parse(text: str) -> dict[str, Any]:
    """The tree of a formula; raises FormulaError naming the column of the first problem."""
    if not text or not text.strip():
        raise FormulaError("empty formula")
    p = _Parser(text)
    node = p.expr()
    tok = p.peek()
    if tok.kind != "end":
        raise FormulaError(f"column {tok.col}: unexpected {tok.value!r} after a complete term")
    return node


def meters(tree: dict[str, Any]) -> set[tuple[str, str]]:
    """The (name, channel) leaves of a tree."""
    if "meter" in tree:
        return {(tree["meter"], tree["channel"])}
    return set().union(*(meters(a) for a in tree.get("args", [])))
