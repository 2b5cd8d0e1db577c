"""Parser for Go's text/template: tokens -> parse trees, with Go's grammar, checks and error messages.

`parse_templates(name, text, func_names)` returns the tree named `name` plus one per `{{define}}`/`{{block}}`.
Errors read like Go's: `template: werf.yaml:2: unexpected "}" in operand`.
"""

from __future__ import annotations

from collections.abc import Callable

from werf_core.config.gotemplate import gostrconv
from werf_core.config.gotemplate import lexer as lx
from werf_core.config.gotemplate import nodes as n

# Deeply nested parentheses are legal in Go up to 10000 levels; Python's stack is smaller, so we stop earlier
# with Go's own message.
MAX_PAREN_DEPTH = 150


class ParseError(Exception):
    """A template that cannot be parsed. `message` is Go's full text; `line` the 1-based source line."""

    def __init__(self, message: str, parse_name: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.parse_name = parse_name
        self.line = line


class Tree:
    """One named template: its root list and the source text it was parsed from (shared with its defines)."""

    __slots__ = ("name", "parse_name", "root", "text")

    def __init__(self, name: str, parse_name: str, root: n.ListNode | None, text: str):
        self.name = name
        self.parse_name = parse_name
        self.root = root
        self.text = text

    def location(self, pos: int) -> tuple[int, int]:
        """(line, column) of a byte position, like Go's ErrorContext (column counts bytes from line start)."""
        before = self.text[:pos]
        line = before.count("\n") + 1
        nl = before.rfind("\n")
        col_text = before[nl + 1:] if nl >= 0 else before
        return line, gostrconv.byte_len(col_text)


class _Parser:
    def __init__(self, parse_name: str, text: str, has_function: Callable[[str], bool]):
        self.parse_name = parse_name
        self.text = text
        self.has_function = has_function
        self.items = lx.lex(text, break_ok=not has_function("break"), continue_ok=not has_function("continue"))
        self.i = 0
        self.furthest = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.paren_depth = 0
        self.action_line = 0
        self.tree_set: dict[str, Tree] = {}

    # -- token stream

    def next(self) -> lx.Item:
        i = self.i
        if i >= len(self.items):
            self.items.append(self.items[-1])  # the final EOF/ERROR repeats forever, like Go's lexer
        item = self.items[i]
        if i > self.furthest:
            self.furthest = i
        self.i = i + 1
        return item

    def backup(self, count: int = 1) -> None:
        self.i -= count

    def peek(self) -> lx.Item:
        if self.i >= len(self.items):
            self.items.append(self.items[-1])
        item = self.items[self.i]
        if self.i > self.furthest:
            self.furthest = self.i
        return item

    def next_non_space(self) -> lx.Item:
        while True:
            item = self.next()
            if item.typ != lx.SPACE:
                return item

    def peek_non_space(self) -> lx.Item:
        item = self.next_non_space()
        self.backup()
        return item

    # -- errors

    def errorf(self, message: str) -> None:
        line = self.items[min(self.furthest, len(self.items) - 1)].line
        raise ParseError(f"template: {self.parse_name}:{line}: {message}", self.parse_name, line)

    def expect(self, expected: int, context: str) -> lx.Item:
        token = self.next_non_space()
        if token.typ != expected:
            self.unexpected(token, context)
        return token

    def expect_one_of(self, expected1: int, expected2: int, context: str) -> lx.Item:
        token = self.next_non_space()
        if token.typ != expected1 and token.typ != expected2:
            self.unexpected(token, context)
        return token

    def unexpected(self, token: lx.Item, context: str) -> None:
        if token.typ == lx.ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != token.line:
                extra = f" in action started at {self.parse_name}:{self.action_line}"
                if token.val.endswith(" action"):
                    extra = extra[len(" in action"):]
            self.errorf(f"{token}{extra}")
        self.errorf(f"unexpected {token} in {context}")

    # -- grammar

    def parse_all(self, name: str) -> dict[str, Tree]:
        root = n.ListNode(self.peek().pos)
        while self.peek().typ != lx.EOF:
            if self.peek().typ == lx.LEFT_DELIM:
                save = self.i
                self.next()
                if self.next_non_space().typ == lx.DEFINE:
                    self.parse_definition()
                    continue
                self.i = save
            node = self.text_or_action()
            if isinstance(node, (n.EndNode, n.ElseNode)):
                self.errorf(f"unexpected {node}")
            root.nodes.append(node)
        self.add(Tree(name, self.parse_name, root, self.text))
        return self.tree_set

    def add(self, tree: Tree) -> None:
        existing = self.tree_set.get(tree.name)
        if existing is None or n.is_empty_tree(existing.root):
            self.tree_set[tree.name] = tree
            return
        if not n.is_empty_tree(tree.root):
            self.errorf(f"template: multiple definition of template {gostrconv.quote(tree.name)}")

    def _with_fresh_vars(self, fn):
        saved = (self.vars, self.range_depth)
        self.vars = ["$"]
        self.range_depth = 0
        try:
            return fn()
        finally:
            self.vars, self.range_depth = saved

    def parse_definition(self) -> None:
        context = "define clause"
        token = self.expect_one_of(lx.STRING, lx.RAW_STRING, context)
        try:
            name = gostrconv.unquote(token.val)
        except ValueError as err:
            self.errorf(str(err))
        self.expect(lx.RIGHT_DELIM, context)
        self._define(name, context)

    def _define(self, name: str, context: str) -> None:
        """Parse the body of a define/block up to its {{end}} as template `name`, with fresh variables."""
        def body():
            root, end = self.item_list()
            if not isinstance(end, n.EndNode):
                self.errorf(f"unexpected {end} in {context}")
            return root

        root = self._with_fresh_vars(body)
        self.add(Tree(name, self.parse_name, root, self.text))

    def item_list(self) -> tuple[n.ListNode, n.Node]:
        lst = n.ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != lx.EOF:
            node = self.text_or_action()
            if isinstance(node, (n.EndNode, n.ElseNode)):
                return lst, node
            lst.nodes.append(node)
        self.errorf("unexpected EOF")
        raise AssertionError("unreachable")

    def text_or_action(self) -> n.Node:
        token = self.next_non_space()
        if token.typ == lx.TEXT:
            return n.TextNode(token.pos, token.val)
        if token.typ == lx.LEFT_DELIM:
            self.action_line = token.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(token, "input")
        raise AssertionError("unreachable")

    def action(self) -> n.Node:
        token = self.next_non_space()
        typ = token.typ
        if typ == lx.BLOCK:
            return self.block_control()
        if typ == lx.BREAK:
            return self.break_control(token)
        if typ == lx.CONTINUE:
            return self.continue_control(token)
        if typ == lx.ELSE:
            return self.else_control()
        if typ == lx.END:
            return self.end_control()
        if typ == lx.IF:
            return n.IfNode(*self.parse_control("if"))
        if typ == lx.RANGE:
            return n.RangeNode(*self.parse_control("range"))
        if typ == lx.TEMPLATE:
            return self.template_control()
        if typ == lx.WITH:
            return n.WithNode(*self.parse_control("with"))
        self.backup()
        token = self.peek()
        return n.ActionNode(token.pos, token.line, self.pipeline("command", lx.RIGHT_DELIM))

    def break_control(self, keyword: lx.Item) -> n.Node:
        token = self.next_non_space()
        if token.typ != lx.RIGHT_DELIM:
            self.unexpected(token, "{{break}}")
        if self.range_depth == 0:
            self.errorf("{{break}} outside {{range}}")
        return n.BreakNode(keyword.pos, keyword.line)

    def continue_control(self, keyword: lx.Item) -> n.Node:
        token = self.next_non_space()
        if token.typ != lx.RIGHT_DELIM:
            self.unexpected(token, "{{continue}}")
        if self.range_depth == 0:
            self.errorf("{{continue}} outside {{range}}")
        return n.ContinueNode(keyword.pos, keyword.line)

    def pipeline(self, context: str, end: int) -> n.PipeNode:
        token = self.peek_non_space()
        pipe = n.PipeNode(token.pos, token.line)
        while True:  # declarations: "$x :=", "$x =", "$i, $v :="
            v = self.peek_non_space()
            if v.typ != lx.VARIABLE:
                break
            save = self.i
            self.next()
            nxt = self.peek_non_space()
            if nxt.typ in (lx.ASSIGN, lx.DECLARE):
                pipe.is_assign = nxt.typ == lx.ASSIGN
                self.next_non_space()
                pipe.decl.append(n.VariableNode(v.pos, v.val))
                self.vars.append(v.val)
                break
            if nxt.typ == lx.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(n.VariableNode(v.pos, v.val))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (lx.VARIABLE, lx.RIGHT_DELIM, lx.RIGHT_PAREN):
                        continue  # second initialized variable in a range pipeline
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            self.i = save
            break
        while True:
            token = self.next_non_space()
            if token.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if token.typ in (lx.BOOL, lx.CHAR_CONSTANT, lx.COMPLEX, lx.DOT, lx.FIELD, lx.IDENTIFIER, lx.NUMBER,
                             lx.NIL, lx.RAW_STRING, lx.STRING, lx.VARIABLE, lx.LEFT_PAREN):
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(token, context)

    def check_pipeline(self, pipe: n.PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for i, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], (n.BoolNode, n.DotNode, n.NilNode, n.NumberNode, n.StringNode)):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def parse_control(self, context: str):
        mark = len(self.vars)
        try:
            pipe = self.pipeline(context, lx.RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            try:
                lst, nxt = self.item_list()
            finally:
                if context == "range":
                    self.range_depth -= 1
            else_list = None
            if isinstance(nxt, n.ElseNode):
                # "{{else if ...}}" / "{{else with ...}}" are {{else}}{{if ...}}...{{end}}{{end}} with one {{end}}
                if context == "if" and self.peek().typ == lx.IF:
                    self.next()
                    else_list = n.ListNode(nxt.pos)
                    else_list.nodes.append(n.IfNode(*self.parse_control("if")))
                elif context == "with" and self.peek().typ == lx.WITH:
                    self.next()
                    else_list = n.ListNode(nxt.pos)
                    else_list.nodes.append(n.WithNode(*self.parse_control("with")))
                else:
                    else_list, nxt = self.item_list()
                    if not isinstance(nxt, n.EndNode):
                        self.errorf(f"expected end; found {nxt}")
            return pipe.pos, pipe.line, pipe, lst, else_list
        finally:
            del self.vars[mark:]

    def end_control(self) -> n.Node:
        return n.EndNode(self.expect(lx.RIGHT_DELIM, "end").pos)

    def else_control(self) -> n.Node:
        peek = self.peek_non_space()
        if peek.typ in (lx.IF, lx.WITH):
            return n.ElseNode(peek.pos, peek.line)
        token = self.expect(lx.RIGHT_DELIM, "else")
        return n.ElseNode(token.pos, token.line)

    def block_control(self) -> n.Node:
        context = "block clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = self.pipeline(context, lx.RIGHT_DELIM)
        self._define(name, context)
        return n.TemplateNode(token.pos, token.line, name, pipe)

    def template_control(self) -> n.Node:
        context = "template clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = None
        if self.next_non_space().typ != lx.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, lx.RIGHT_DELIM)
        return n.TemplateNode(token.pos, token.line, name, pipe)

    def parse_template_name(self, token: lx.Item, context: str) -> str:
        if token.typ in (lx.STRING, lx.RAW_STRING):
            try:
                return gostrconv.unquote(token.val)
            except ValueError as err:
                self.errorf(str(err))
        self.unexpected(token, context)
        raise AssertionError("unreachable")

    def command(self) -> n.CommandNode:
        cmd = n.CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self.next()
            if token.typ == lx.SPACE:
                continue
            if token.typ in (lx.RIGHT_DELIM, lx.RIGHT_PAREN):
                self.backup()
            elif token.typ == lx.PIPE:
                pass
            else:
                self.unexpected(token, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> n.Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == lx.FIELD:
            chain = n.ChainNode(self.peek().pos, node)
            while self.peek().typ == lx.FIELD:
                chain.add(self.next().val)
            if isinstance(node, n.FieldNode):
                return n.FieldNode(chain.pos, str(chain))
            if isinstance(node, n.VariableNode):
                return n.VariableNode(chain.pos, str(chain))
            if isinstance(node, (n.BoolNode, n.StringNode, n.NumberNode, n.NilNode, n.DotNode)):
                self.errorf(f"unexpected . after term {gostrconv.quote(str(node))}")
            return chain
        return node

    def term(self) -> n.Node | None:
        token = self.next_non_space()
        typ = token.typ
        if typ == lx.IDENTIFIER:
            if not self.has_function(token.val):
                self.errorf(f"function {gostrconv.quote(token.val)} not defined")
            return n.IdentifierNode(token.pos, token.val)
        if typ == lx.DOT:
            return n.DotNode(token.pos)
        if typ == lx.NIL:
            return n.NilNode(token.pos)
        if typ == lx.VARIABLE:
            return self.use_var(token.pos, token.val)
        if typ == lx.FIELD:
            return n.FieldNode(token.pos, token.val)
        if typ == lx.BOOL:
            return n.BoolNode(token.pos, token.val == "true")
        if typ in (lx.CHAR_CONSTANT, lx.COMPLEX, lx.NUMBER):
            try:
                info = gostrconv.parse_number(token.val, is_char=typ == lx.CHAR_CONSTANT,
                                              is_complex=typ == lx.COMPLEX)
            except ValueError as err:
                self.errorf(str(err))
            return n.NumberNode(token.pos, info)
        if typ == lx.LEFT_PAREN:
            if self.paren_depth >= MAX_PAREN_DEPTH:
                self.errorf("max expression depth exceeded")
            self.paren_depth += 1
            try:
                return self.pipeline("parenthesized pipeline", lx.RIGHT_PAREN)
            finally:
                self.paren_depth -= 1
        if typ in (lx.STRING, lx.RAW_STRING):
            try:
                text = gostrconv.unquote(token.val)
            except ValueError as err:
                self.errorf(str(err))
            return n.StringNode(token.pos, token.val, text)
        self.backup()
        return None

    def use_var(self, pos: int, name: str) -> n.Node:
        v = n.VariableNode(pos, name)
        if v.ident[0] not in self.vars:
            self.errorf(f"undefined variable {gostrconv.quote(v.ident[0])}")
        return v


def parse_templates(name: str, text: str, has_function: Callable[[str], bool]) -> dict[str, Tree]:
    """Parse `text` as template `name`; returns it and the templates it defines. Raises ParseError."""
    parser = _Parser(name, text, has_function)
    try:
        return parser.parse_all(name)
    except RecursionError:
        raise ParseError(f"template: {name}: template nesting too deep to parse", name, None) from None
