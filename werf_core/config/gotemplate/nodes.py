"""Parse-tree nodes of a Go template. `str(node)` gives Go's text for a node (used in error contexts `at <...>`).

Nodes are immutable after parsing, so one parsed tree can be cached and executed many times.
"""

from __future__ import annotations

from typing import Any


class Node:
    __slots__ = ("pos",)

    def __init__(self, pos: int):
        self.pos = pos


class ListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self, pos: int):
        super().__init__(pos)
        self.nodes: list[Node] = []

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


class TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str):
        super().__init__(pos)
        self.text = text

    def __str__(self) -> str:
        return self.text


class CommentNode(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str):
        super().__init__(pos)
        self.text = text

    def __str__(self) -> str:
        return "{{" + self.text + "}}"


class PipeNode(Node):
    __slots__ = ("line", "is_assign", "decl", "cmds")

    def __init__(self, pos: int, line: int):
        super().__init__(pos)
        self.line = line
        self.is_assign = False
        self.decl: list[VariableNode] = []
        self.cmds: list[CommandNode] = []

    def __str__(self) -> str:
        text = ""
        if self.decl:
            text = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return text + " | ".join(str(c) for c in self.cmds)


class ActionNode(Node):
    __slots__ = ("line", "pipe")

    def __init__(self, pos: int, line: int, pipe: PipeNode):
        super().__init__(pos)
        self.line = line
        self.pipe = pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class CommandNode(Node):
    __slots__ = ("args",)

    def __init__(self, pos: int):
        super().__init__(pos)
        self.args: list[Node] = []

    def __str__(self) -> str:
        parts = []
        for arg in self.args:
            if isinstance(arg, PipeNode):
                parts.append("(" + str(arg) + ")")
            else:
                parts.append(str(arg))
        return " ".join(parts)


class IdentifierNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str):
        super().__init__(pos)
        self.ident = ident

    def __str__(self) -> str:
        return self.ident


class VariableNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str):
        super().__init__(pos)
        self.ident = ident.split(".")

    def __str__(self) -> str:
        return ".".join(self.ident)


class DotNode(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "."


class NilNode(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "nil"


class FieldNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str):
        super().__init__(pos)
        self.ident = ident[1:].split(".")  # ".a.b" -> ["a", "b"]

    def __str__(self) -> str:
        return "." + ".".join(self.ident)


class ChainNode(Node):
    __slots__ = ("node", "field")

    def __init__(self, pos: int, node: Node):
        super().__init__(pos)
        self.node = node
        self.field: list[str] = []

    def add(self, field: str) -> None:
        if not field.startswith("."):
            raise ValueError("no dot in field")
        field = field[1:]
        if not field:
            raise ValueError("empty field")
        self.field.append(field)

    def __str__(self) -> str:
        head = "(" + str(self.node) + ")" if isinstance(self.node, PipeNode) else str(self.node)
        return head + "".join("." + f for f in self.field)


class BoolNode(Node):
    __slots__ = ("value",)

    def __init__(self, pos: int, value: bool):
        super().__init__(pos)
        self.value = value

    def __str__(self) -> str:
        return "true" if self.value else "false"


class NumberNode(Node):
    """A number literal. `info` is gostrconv.NumberInfo; `ideal` the value it has where no type is expected."""

    __slots__ = ("info", "ideal", "ideal_error")

    def __init__(self, pos: int, info: Any):
        super().__init__(pos)
        self.info = info
        self.ideal: Any = None
        self.ideal_error: str | None = None
        text = info.text
        if info.is_complex:
            self.ideal = info.complex128
        elif info.is_float and not _is_hex_int(text) and not text.startswith("'") and \
                any(c in text for c in ".eEpP"):
            self.ideal = info.float64
        elif info.is_int:
            self.ideal = info.int64
        elif info.is_uint:
            self.ideal_error = f"{text} overflows int"

    def __str__(self) -> str:
        return str(self.info.text)


def _is_hex_int(s: str) -> bool:
    return len(s) > 2 and s[0] == "0" and s[1] in "xX" and not any(c in s for c in "pP")


class StringNode(Node):
    __slots__ = ("quoted", "text")

    def __init__(self, pos: int, quoted: str, text: str):
        super().__init__(pos)
        self.quoted = quoted
        self.text = text

    def __str__(self) -> str:
        return self.quoted


class EndNode(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{end}}"


class ElseNode(Node):
    __slots__ = ("line",)

    def __init__(self, pos: int, line: int):
        super().__init__(pos)
        self.line = line

    def __str__(self) -> str:
        return "{{else}}"


class BranchNode(Node):
    """Common shape of if / range / with."""

    __slots__ = ("line", "pipe", "list", "else_list")
    keyword = ""

    def __init__(self, pos: int, line: int, pipe: PipeNode, list_: ListNode, else_list: ListNode | None):
        super().__init__(pos)
        self.line = line
        self.pipe = pipe
        self.list = list_
        self.else_list = else_list

    def __str__(self) -> str:
        text = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            text += "{{else}}" + str(self.else_list)
        return text + "{{end}}"


class IfNode(BranchNode):
    __slots__ = ()
    keyword = "if"


class RangeNode(BranchNode):
    __slots__ = ()
    keyword = "range"


class WithNode(BranchNode):
    __slots__ = ()
    keyword = "with"


class BreakNode(Node):
    __slots__ = ("line",)

    def __init__(self, pos: int, line: int):
        super().__init__(pos)
        self.line = line

    def __str__(self) -> str:
        return "{{break}}"


class ContinueNode(Node):
    __slots__ = ("line",)

    def __init__(self, pos: int, line: int):
        super().__init__(pos)
        self.line = line

    def __str__(self) -> str:
        return "{{continue}}"


class TemplateNode(Node):
    __slots__ = ("line", "name", "pipe")

    def __init__(self, pos: int, line: int, name: str, pipe: PipeNode | None):
        super().__init__(pos)
        self.line = line
        self.name = name
        self.pipe = pipe

    def __str__(self) -> str:
        from werf_core.config.gotemplate.gostrconv import quote

        if self.pipe is None:
            return "{{template " + quote(self.name) + "}}"
        return "{{template " + quote(self.name) + " " + str(self.pipe) + "}}"


def is_empty_tree(node: Node | None) -> bool:
    """parse.IsEmptyTree: nothing but whitespace text (and comments)."""
    if node is None:
        return True
    if isinstance(node, ListNode):
        return all(is_empty_tree(n) for n in node.nodes)
    if isinstance(node, TextNode):
        return node.text.strip(" \t\r\n\v\f") == ""
    if isinstance(node, CommentNode):
        return True
    return False
