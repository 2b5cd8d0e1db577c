"""Executes parse trees with Go's text/template semantics (exec.go): pipelines, variables, fields, calls, control.

One `State` runs one template; `{{template}}`, `include` and `tpl` start a nested State that shares the output
(or renders to a string) and the depth counter, so runaway recursion stops with a clear error.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from werf_core.config.gotemplate import bounds, gofmt, gostrconv
from werf_core.config.gotemplate import nodes as n
from werf_core.config.gotemplate.errors import GoError, TemplateError
from werf_core.config.gotemplate.funcs import TYPE_SPECS, GoFunc, TypeSpec, truth
from werf_core.config.gotemplate.values import MISSING, GoObject, go_type_of, is_int, is_true, sorted_map_items
from werf_core.config.limits import (
    MAX_COLLECTION_ITEMS,
    MAX_RENDER_SECONDS,
    MAX_RENDER_WORK,
    MAX_RENDERED_CHARS,
    MAX_STRING_CHARS,
    human_size,
)

if TYPE_CHECKING:
    from werf_core.config.gotemplate.parser import Tree
    from werf_core.config.gotemplate.template_set import TemplateSet


class _NoFinal:
    """No value is piped into this command (Go's missingVal)."""

    __slots__ = ()


NO_FINAL: Any = _NoFinal()
_VALUE_SPEC = TYPE_SPECS["value"]
_ANY_SPEC = TYPE_SPECS["any"]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class ExecContext:
    """Shared by all nested executions of one render: depth of template/include/tpl calls, and the work done so far
    (see `bounds`)."""

    __slots__ = ("depth", "max_depth", "work", "max_work", "deadline", "check_at")

    def __init__(self, max_depth: int, max_work: int = MAX_RENDER_WORK, max_seconds: float = MAX_RENDER_SECONDS):
        self.depth = 0
        self.max_depth = max_depth
        self.work = 0
        self.max_work = max_work
        self.deadline = time.monotonic() + max_seconds
        # the hot path only compares work with check_at; the clock is read every _CLOCK_EVERY units
        self.check_at = min(max_work, _CLOCK_EVERY)

    def exceeded(self) -> GoError | None:
        """The limit this render has passed, if any (call when work > check_at)."""
        if self.work > self.max_work:
            return bounds.work_exceeded()
        if time.monotonic() > self.deadline:
            return bounds.time_exceeded()
        self.check_at = min(self.max_work, self.work + _CLOCK_EVERY)
        return None


_CLOCK_EVERY = 2_000


class Output(list):  # type: ignore[type-arg]
    """The text a template writes, in pieces, with its running length (bounded by MAX_RENDERED_CHARS)."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0


class State:
    __slots__ = ("tset", "tree", "name", "node", "vars", "out", "ctx", "dot_iface")

    def __init__(self, tset: TemplateSet, tree: Tree, name: str, dot: Any, out: Output, ctx: ExecContext):
        self.tset = tset
        self.tree = tree
        self.name = name
        self.node: n.Node | None = None
        self.vars: list[list] = [["$", dot]]
        self.out = out
        self.ctx = ctx
        # Go's range hands out elements of []interface{} / map[string]interface{} as interface values; field
        # errors on them say "in type interface {}". We track that for dot.
        self.dot_iface = False

    # ------------------------------------------------------------ errors

    def errorf(self, message: str, inner: TemplateError | None = None, hint: str | None = None) -> None:
        node = self.node
        if node is None:
            text = f"template: {self.name}: {message}"
            line = col = None
        else:
            line, col = self.tree.location(node.pos)
            text = (f"template: {self.tree.parse_name}:{line}:{col}: executing {gostrconv.quote(self.name)} "
                    f"at <{node}>: {message}")
        path = self.tset.source_path(self.tree.parse_name)
        template = self.name
        snippet = self._source_line(line) if line else None
        if inner is not None:
            hint = inner.hint
            if inner.line is not None and inner.path is not None:
                # keep the innermost location: that is the action the user has to fix
                path, line, col, template, snippet = inner.path, inner.line, inner.column, inner.template, \
                    inner.snippet
        extra = {"hint": hint} if hint else {}
        raise TemplateError(text, template=template, path=path, line=line, column=col, snippet=snippet, **extra)

    def _source_line(self, line: int) -> str | None:
        lines = self.tree.text.split("\n", line)
        if len(lines) >= line:
            text = lines[line - 1]
            return text if len(text) <= 200 else text[:200] + "..."
        return None

    # ------------------------------------------------------------ variables

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i][1] = value
                return
        self.errorf(f"undefined variable: {name}")

    def var_value(self, name: str) -> Any:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                return self.vars[i][1]
        self.errorf(f"undefined variable: {name}")

    # ------------------------------------------------------------ walk

    def walk(self, dot: Any, node: n.Node) -> None:
        self.node = node
        t = type(node)
        if t is n.TextNode:
            text = node.text
            out = self.out
            out.append(text)
            out.size += len(text)
            if out.size > MAX_RENDERED_CHARS:
                self.output_exceeded()
        elif t is n.ActionNode:
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif t is n.ListNode:
            for child in node.nodes:
                self.walk(dot, child)
        elif t is n.IfNode:
            self.walk_if_or_with(False, dot, node)
        elif t is n.WithNode:
            self.walk_if_or_with(True, dot, node)
        elif t is n.RangeNode:
            self.walk_range(dot, node)
        elif t is n.TemplateNode:
            self.walk_template(dot, node)
        elif t is n.BreakNode:
            raise _Break
        elif t is n.ContinueNode:
            raise _Continue
        elif t is n.CommentNode:
            pass
        else:
            self.errorf(f"unknown node: {node}")

    def emit(self, text: str) -> None:
        out = self.out
        out.append(text)
        out.size += len(text)
        if out.size > MAX_RENDERED_CHARS:
            self.output_exceeded()

    def output_exceeded(self) -> None:
        self.errorf(f"the rendered text exceeds {human_size(MAX_RENDERED_CHARS)} (MAX_RENDERED_CHARS), the limit for "
                    "rendering werf.yaml", hint=bounds.HINT)

    def count_work(self, units: int) -> None:
        ctx = self.ctx
        ctx.work += units
        if ctx.work > ctx.check_at:
            err = ctx.exceeded()
            if err is not None:
                self.errorf(err.message, hint=err.hint)

    def walk_if_or_with(self, is_with: bool, dot: Any, node: n.BranchNode) -> None:
        mark = len(self.vars)
        try:
            val = self.eval_pipeline(dot, node.pipe)
            if is_true(val)[0]:
                if is_with:
                    saved = self.dot_iface
                    self.dot_iface = False
                    try:
                        self.walk(val, node.list)
                    finally:
                        self.dot_iface = saved
                else:
                    self.walk(dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: n.RangeNode) -> None:
        self.node = node
        mark0 = len(self.vars)
        saved_iface = self.dot_iface
        try:
            val = self.eval_pipeline(dot, node.pipe)
            mark = len(self.vars)
            pipe = node.pipe
            decl = pipe.decl

            def one_iteration(index: Any, elem: Any) -> None:
                self.count_work(1)
                if decl:
                    if pipe.is_assign:
                        self.set_var(decl[0].ident[0], index if len(decl) > 1 else elem)
                    else:
                        self.vars[-1][1] = elem
                if len(decl) > 1:
                    if pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem)
                    else:
                        self.vars[-2][1] = index
                try:
                    self.walk(elem, node.list)
                except _Continue:
                    pass
                finally:
                    del self.vars[mark:]

            ran = False
            try:
                if isinstance(val, list):
                    self.dot_iface = type(val) is list
                    for i, elem in enumerate(val):
                        ran = True
                        one_iteration(i, elem)
                elif isinstance(val, dict):
                    self.dot_iface = type(val) is dict
                    for key, elem in sorted_map_items(val):
                        ran = True
                        one_iteration(key, elem)
                elif is_int(val):
                    if len(decl) > 1:
                        self.errorf(f"can't use {gofmt.value_text(val)} to iterate over more than one variable")
                    self.dot_iface = False
                    if int(val) > MAX_COLLECTION_ITEMS:
                        err = bounds.too_many_items("a range over an integer", int(val))
                        self.errorf(err.message, hint=err.hint)
                    for i in range(int(val)):
                        ran = True
                        one_iteration(i, i)
                elif val is MISSING or val is None:
                    pass  # an invalid value (nil map, missing key) acts like an empty map
                else:
                    self.errorf(f"range can't iterate over {gofmt.value_text(val)}")
            except _Break:
                ran = True
            finally:
                self.dot_iface = saved_iface
            if not ran and node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            del self.vars[mark0:]

    def walk_template(self, dot: Any, node: n.TemplateNode) -> None:
        self.node = node
        tree = self.tset.lookup_tree(node.name)
        if tree is None:
            self.errorf(f"template {gostrconv.quote(node.name)} not defined")
        ctx = self.ctx
        if ctx.depth >= ctx.max_depth:
            self.errorf(f"exceeded maximum template depth ({ctx.max_depth})")
        dot = self.eval_pipeline(dot, node.pipe) if node.pipe is not None else MISSING
        self.count_work(bounds.TEMPLATE_CALL_COST)
        ctx.depth += 1
        try:
            # no dynamic scoping: the called template sees only $ = dot
            State(self.tset, tree, node.name, dot, self.out, ctx).walk(dot, tree.root)
        finally:
            ctx.depth -= 1

    # ------------------------------------------------------------ evaluation

    def eval_pipeline(self, dot: Any, pipe: n.PipeNode | None) -> Any:
        if pipe is None:
            return MISSING
        self.node = pipe
        value = NO_FINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value is None:  # a nil interface{} digs down to the invalid value
                value = MISSING
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.vars.append([var.ident[0], value])
        return value

    def not_a_function(self, args: list, final: Any) -> None:
        if len(args) > 1 or final is not NO_FINAL:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: n.CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        t = type(first)
        if t is n.FieldNode:
            self.node = first
            return self.eval_field_chain(dot, dot, first, first.ident, cmd.args, final, self.dot_iface)
        if t is n.IdentifierNode:
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if t is n.VariableNode:
            return self.eval_variable_node(dot, first, cmd.args, final)
        if t is n.ChainNode:
            return self.eval_chain_node(dot, first, cmd.args, final)
        if t is n.PipeNode:
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        self.node = first
        self.not_a_function(cmd.args, final)
        if t is n.StringNode:
            return first.text
        if t is n.NumberNode:
            return self.ideal_constant(first)
        if t is n.BoolNode:
            return first.value
        if t is n.DotNode:
            return dot
        if t is n.NilNode:
            self.errorf("nil is not a command")
        self.errorf(f"can't evaluate command {gostrconv.quote(str(first))}")

    def ideal_constant(self, node: n.NumberNode) -> Any:
        self.node = node
        if node.ideal_error is not None:
            self.errorf(node.ideal_error)
        return node.ideal

    def eval_chain_node(self, dot: Any, chain: n.ChainNode, args: list | None, final: Any) -> Any:
        self.node = chain
        if not chain.field:
            self.errorf("internal error: no fields in evalChainNode")
        if type(chain.node) is n.NilNode:
            self.errorf(f"indirection through explicit nil in {chain}")
        pipe = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.field, args, final, False)

    def eval_variable_node(self, dot: Any, variable: n.VariableNode, args: list | None, final: Any) -> Any:
        self.node = variable
        value = self.var_value(variable.ident[0])
        if len(variable.ident) == 1:
            self.not_a_function(args or [variable], final)
            return value
        return self.eval_field_chain(dot, value, variable, variable.ident[1:], args, final, False)

    def eval_field_chain(self, dot: Any, receiver: Any, node: n.Node, ident: list[str], args: list | None,
                         final: Any, iface: bool) -> Any:
        last = len(ident) - 1
        for i in range(last):
            container = receiver
            receiver = self.eval_field(dot, ident[i], node, None, NO_FINAL, receiver, iface)
            iface = type(container) is dict
        return self.eval_field(dot, ident[last], node, args, final, receiver, iface)

    def eval_field(self, dot: Any, field_name: str, node: n.Node, args: list | None, final: Any,
                   receiver: Any, iface: bool) -> Any:
        if receiver is MISSING:
            return MISSING
        if receiver is None:
            self.errorf(f"nil pointer evaluating interface {{}}.{field_name}")
        has_args = (args is not None and len(args) > 1) or final is not NO_FINAL
        if isinstance(receiver, GoObject):
            method = receiver.go_methods.get(field_name)
            if method is not None:
                return self.eval_call(dot, method, False, node, field_name, args, final, receiver)
            fields = getattr(receiver, "go_fields", None)
            if fields is not None and field_name in fields:
                if has_args:
                    self.errorf(f"{field_name} has arguments but cannot be invoked as function")
                return fields[field_name]
        if isinstance(receiver, dict):
            if has_args:
                self.errorf(f"{field_name} is not a method but has arguments")
            return receiver.get(field_name, MISSING)
        type_name = "interface {}" if iface else go_type_of(receiver)
        self.errorf(f"can't evaluate field {field_name} in type {type_name}")

    def eval_function(self, dot: Any, node: n.IdentifierNode, cmd: n.Node, args: list | None, final: Any) -> Any:
        self.node = node
        name = node.ident
        fn, is_builtin = self.tset.lookup_func(name)
        if fn is None:
            self.errorf(f"{gostrconv.quote(name)} is not a defined function")
        return self.eval_call(dot, fn, is_builtin, cmd, name, args, final)

    def eval_call(self, dot: Any, fn: GoFunc, is_builtin: bool, node: n.Node, name: str, args: list | None,
                  final: Any, receiver: Any = NO_FINAL) -> Any:
        args = args[1:] if args else []
        num_in = len(args) + (0 if final is NO_FINAL else 1)
        params = fn.params if receiver is NO_FINAL else fn.params[1:]  # a method's receiver is bound already
        variadic = fn.variadic
        num_fixed = len(params)
        if variadic is not None:
            if num_in < num_fixed:
                self.errorf(f"wrong number of args for {name}: want at least {num_fixed} got {len(args)}")
        elif num_in != num_fixed:
            self.errorf(f"wrong number of args for {name}: want {num_fixed} got {num_in}")

        if is_builtin and (name == "and" or name == "or"):
            want = name == "or"
            v = MISSING
            for arg in args:
                v = self.eval_arg(dot, _VALUE_SPEC, arg)
                if truth(v) == want:
                    return v
            if final is not NO_FINAL:
                v = self.validate_type(final, _VALUE_SPEC)
            return v

        argv = []
        for i, arg in enumerate(args):
            argv.append(self.eval_arg(dot, params[i] if i < num_fixed else variadic, arg))
        if final is not NO_FINAL:
            spec = params[num_in - 1] if (variadic is None or num_in - 1 < num_fixed) else variadic
            argv.append(self.validate_type(final, spec))
        if receiver is not NO_FINAL:
            argv.insert(0, receiver)
        if fn.needs_state:
            argv.insert(0, self)
        ctx = self.ctx
        try:
            precheck = bounds.PRECHECKS.get(name)
            if precheck is not None:
                if precheck == bounds.SERIALIZES:
                    ctx.work += bounds.ensure_text_size(name, argv) // bounds.CHARS_PER_WORK_UNIT
                else:
                    ctx.work += precheck
                    exceeded = ctx.exceeded()
                    if exceeded is not None:
                        raise exceeded
            result = fn.fn(*argv)
            t = type(result)
            if t is str:
                size = len(result)
                if size > MAX_STRING_CHARS:
                    raise bounds.string_too_long(f"the result of {name}", size)
                ctx.work += 1 + size // bounds.CHARS_PER_WORK_UNIT
            else:
                ctx.work += bounds.result_cost(name, result)
        except TemplateError as err:
            self.node = node
            self.errorf(f"error calling {name}: {err.go_message}", inner=err)
        except GoError as err:
            self.node = node
            self.errorf(f"error calling {name}: {err.message}", hint=err.hint)
        except RecursionError:
            self.node = node
            self.errorf(f"error calling {name}: templates nested too deeply")
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            self.node = node
            self.errorf(f"error calling {name}: out of memory", hint=bounds.HINT)
        except Exception as err:  # a Go function that panics: text/template reports the panic as an error
            self.node = node
            self.errorf(f"error calling {name}: {err}")
        if ctx.work > ctx.check_at:
            exceeded = ctx.exceeded()
            if exceeded is not None:
                self.node = node
                self.errorf(exceeded.message, hint=exceeded.hint)
        return result

    def validate_type(self, value: Any, spec: TypeSpec | None) -> Any:
        if spec is None:
            return value
        if value is MISSING:
            if spec.nilable:
                return MISSING if spec is _VALUE_SPEC else None
            self.errorf(f"invalid value; expected {spec.go_name}")
        if spec is _ANY_SPEC or spec is _VALUE_SPEC:
            return value
        if value is None:
            self.errorf(f"wrong type for value; expected {spec.go_name}; got interface {{}}")
        if spec.check(value):
            return value
        self.errorf(f"wrong type for value; expected {spec.go_name}; got {go_type_of(value)}")

    def eval_arg(self, dot: Any, spec: TypeSpec | None, node: n.Node) -> Any:
        self.node = node
        t = type(node)
        if t is n.FieldNode:
            return self.validate_type(
                self.eval_field_chain(dot, dot, node, node.ident, [node], NO_FINAL, self.dot_iface), spec)
        if t is n.VariableNode:
            return self.validate_type(self.eval_variable_node(dot, node, None, NO_FINAL), spec)
        if t is n.PipeNode:
            return self.validate_type(self.eval_pipeline(dot, node), spec)
        if t is n.IdentifierNode:
            return self.validate_type(self.eval_function(dot, node, node, None, NO_FINAL), spec)
        if t is n.ChainNode:
            return self.validate_type(self.eval_chain_node(dot, node, None, NO_FINAL), spec)
        if t is n.DotNode:
            return self.validate_type(dot, spec)
        if t is n.NilNode:
            if spec is None or spec.nilable:
                return MISSING if spec is _VALUE_SPEC or spec is None else None
            self.errorf(f"cannot assign nil to {spec.go_name}")
        literal = "iface" if spec is None else spec.literal
        if literal == "iface":
            return self.eval_empty_interface(dot, node)
        if literal == "string":
            if t is n.StringNode:
                return node.text
            self.errorf(f"expected string; found {node}")
        if literal == "int":
            if t is n.NumberNode and node.info.is_int:
                value = node.info.int64
                return value if spec.name == "int" else _typed_int(spec.name, value)
            self.errorf(f"expected integer; found {node}")
        if literal == "uint":
            if t is n.NumberNode and node.info.is_uint:
                return _typed_int(spec.name, node.info.uint64)
            self.errorf(f"expected unsigned integer; found {node}")
        if literal == "float":
            if t is n.NumberNode and node.info.is_float:
                return node.info.float64
            self.errorf(f"expected float; found {node}")
        if literal == "bool":
            if t is n.BoolNode:
                return node.value
            self.errorf(f"expected bool; found {node}")
        self.errorf(f"can't handle {node} for arg of type {spec.go_name}")

    def eval_empty_interface(self, dot: Any, node: n.Node) -> Any:
        self.node = node
        t = type(node)
        if t is n.StringNode:
            return node.text
        if t is n.NumberNode:
            return self.ideal_constant(node)
        if t is n.BoolNode:
            return node.value
        self.errorf(f"can't handle assignment of {node} to empty interface argument")

    def print_value(self, node: n.Node, value: Any) -> None:
        self.node = node
        t = type(value)
        if t is str:
            out = self.out
            out.append(value)
            out.size += len(value)
            if out.size > MAX_RENDERED_CHARS:
                self.output_exceeded()
        elif value is MISSING or value is None:
            self.emit("<no value>")
        elif t is int:
            self.emit(str(value))
        elif callable(value) and not isinstance(value, GoObject):
            self.errorf(f"can't print {node} of type {go_type_of(value)}")
        else:
            if isinstance(value, (list, dict)):
                try:
                    self.count_work(bounds.ensure_text_size("printing this value", value) // bounds.CHARS_PER_WORK_UNIT)
                except GoError as err:
                    self.errorf(err.message, hint=err.hint)
            self.emit(gofmt.value_text(value))


def _typed_int(spec_name: str, value: int) -> int:
    from werf_core.config.gotemplate import values

    return {"int64": values.Int64, "uint32": values.Uint32}.get(spec_name, int)(value)
