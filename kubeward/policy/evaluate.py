"""Evaluating a compiled policy against one object, with the semantics of
Kubernetes' ValidatingAdmissionPolicy: match conditions, variables,
validations with ``message``/``messageExpression``/``reason``, audit
annotations, the failure policy, and the runtime cost budget. Custom rules
and ValidatingAdmissionPolicies share this code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kubeward.policy.celenv import (PER_CALL_LIMIT, POLICY_BUDGET, CompileError, EvalError,
                                    Program, activation, check_compiles, compile_expression,
                                    data_size, longest_collection, plain_data)

_PATH_TOKEN = re.compile(r"\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]"
                         r"|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]")


def parse_field_path(text: str) -> tuple | None:
    """``spec.containers[0].image`` or ``metadata.labels['app']`` as a path
    tuple; None when it is not one."""
    text = text.strip()
    pos, out = 0, []
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        name, idx, sq, dq = m.groups()
        out.append(name if name is not None else int(idx) if idx is not None
                   else sq if sq is not None else dq)
        pos = m.end()
    return tuple(out) if out else None


class Compiled:
    """An expression that compiled, or its compile error. ``lazy``: known
    to compile (checked together with others), compiled on first use."""

    __slots__ = ("source", "_program", "_error", "_lazy")

    def __init__(self, source: str, program: Program | None = None, error: str | None = None,
                 lazy: bool = False):
        self.source, self._program, self._error, self._lazy = source, program, error, lazy

    def _load(self) -> None:
        self._lazy = False
        try:
            self._program = compile_expression(self.source)
        except CompileError as e:
            self._error = f"compilation failed: {str(e).splitlines()[0]}"

    @property
    def program(self) -> Program | None:
        if self._lazy:
            self._load()
        return self._program

    @property
    def error(self) -> str | None:
        if self._lazy:
            self._load()
        return self._error

    @property
    def checked(self) -> bool:
        """Known to compile, and not compiled alone yet."""
        return self._lazy


def compile_one(source: Any, known_good=frozenset()) -> Compiled:
    if not isinstance(source, str):
        return Compiled(str(source), error="expression must be a string")
    if source in known_good:
        return Compiled(source, lazy=True)
    try:
        return Compiled(source, compile_expression(source))
    except CompileError as e:
        return Compiled(source, error=f"compilation failed: {str(e).splitlines()[0]}")


#: a string literal of CEL (triple-quoted first; a backslash escapes the
#: next character), else the opening quote of a literal that does not end
#: (group "open"), else a bracket (group "bracket")
_LITERAL_OR_BRACKET = re.compile(
    r"'''(?:\\.|[^\\])*?'''" r'|"\"\"(?:\\.|[^\\])*?"\"\"'
    r"|(?P<open>'''|\"\"\")"
    r"|'(?:\\.|[^\\'])*'" r'|"(?:\\.|[^\\"])*"'
    r"|(?P<bracket>[()[\]{}])|(?P<open1>['\"])", re.S)


def _balanced(source: str) -> bool:
    """Brackets balance outside string literals, so that wrapping the
    expression in parentheses cannot join it with its neighbours (an
    unterminated literal: not balanced)."""
    depth = 0
    for m in _LITERAL_OR_BRACKET.finditer(source):
        bracket = m.group("bracket")
        if m.group("open") or m.group("open1"):
            return False
        if bracket is None:
            continue
        if bracket in "([{":
            depth += 1
        else:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def compile_together(sources) -> set:
    """The sources that compile, found by compiling them together (one list
    expression) and halving where that fails: far fewer compiler calls than
    one per expression when they are fine."""
    good: set = set()
    todo = [[s for s in dict.fromkeys(sources) if isinstance(s, str) and s.strip()
             and "//" not in s and _balanced(s)]]
    while todo:
        part = todo.pop()
        if not part:
            continue
        try:
            check_compiles("[" + ",\n".join(f"({s})" for s in part) + "]")
            good.update(part)
            continue
        except CompileError:
            pass
        if len(part) > 1:
            mid = len(part) // 2
            todo += [part[:mid], part[mid:]]
    return good


@dataclass
class Validation:
    expression: Compiled
    message: str | None = None
    message_expression: Compiled | None = None
    reason: str = "Invalid"
    field_path: tuple | None = None
    where: tuple = ()  # path of this validation inside its policy or rule


@dataclass
class CompiledPolicy:
    name: str
    failure_policy: str = "Fail"
    match_conditions: list = field(default_factory=list)  # (name, Compiled, where)
    variables: list = field(default_factory=list)  # (name, Compiled, where)
    validations: list = field(default_factory=list)  # Validation
    audit_annotations: list = field(default_factory=list)  # (key, Compiled, where)

    def compile_errors(self):
        """(where, expression, message) of every expression that did not compile."""
        for _n, c, where in self.match_conditions + self.variables + self.audit_annotations:
            if not c.checked and c.error:
                yield where, c.source, c.error
        for v in self.validations:
            for c, sub in ((v.expression, "expression"), (v.message_expression, "messageExpression")):
                if c is not None and not c.checked and c.error:
                    yield v.where + (sub,), c.source, c.error


@dataclass
class Violation:
    message: str
    reason: str = "Invalid"
    path: tuple = ()
    error: bool = False  # an evaluation or compile error under failurePolicy Fail
    validation: int | None = None


@dataclass
class Outcome:
    matched: bool
    violations: list = field(default_factory=list)
    audit_annotations: dict = field(default_factory=dict)


class _Run:
    """One evaluation: the activation and the cost budget."""

    def __init__(self, data: dict, positions: dict | None = None):
        self.data = data
        self._size = None
        self._longest = None
        self.positions = positions  # the object's YAML position tables, if any
        self.spent = 0
        self._act = None

    def longest(self) -> int:
        """The longest list or map of the input (from the object's position
        tables when it has them: no walk of the object)."""
        if self._longest is None:
            best = 0
            for k, v in self.data.items():
                if k == "object" and self.positions:
                    best = max(best, max(map(len, self.positions.values()), default=0))
                elif v.__class__ in (dict, list):
                    best = max(best, longest_collection(v))
            self._longest = best
        return self._longest

    def size(self) -> int:
        if self._size is None:
            self._size = data_size(self.data)
        return self._size

    def act(self):
        if self._act is None:
            try:
                self._act = activation(self.data)
            except EvalError:
                self.data = {k: plain_data(v) for k, v in self.data.items()}
                self._act = activation(self.data)
        return self._act

    def eval(self, prog: Program, budget: bool = True, limit: int = PER_CALL_LIMIT,
             as_list: bool = False):
        """Evaluate ``prog``; ``budget``: count it in the policy's budget;
        ``limit``: its cost limit (several rules at once: the sum of theirs)."""
        if budget and self.spent > POLICY_BUDGET:
            raise EvalError("validation failed due to running out of cost budget, "
                            "no further validation rules will be run")
        cost = (prog.cost(self.data, self.size, self.longest, limit) if prog.depth
                else prog.static_cost)
        if cost > limit:
            raise EvalError("operation cancelled: actual cost limit exceeded")
        if budget:
            self.spent += cost
        return prog.eval(self.act(), self.data, self.size, limit=None, as_list=as_list)


def evaluate(policy: CompiledPolicy, data: dict, run: "_Run | None" = None) -> Outcome:
    """``data``: the variables (object, oldObject, request, params,
    namespaceObject) as plain values. ``run``: an evaluation of the same
    data to reuse (its activation), for policies without variables."""
    if run is None or policy.variables:
        run = _Run(dict(data))
    run.spent = 0
    fail = policy.failure_policy != "Ignore"
    # matchConditions: any false -> not matched; else an error -> failure policy
    errors = []
    for name, c, _where in policy.match_conditions:
        if c.error:
            errors.append(f"matchCondition '{name}': {c.error}")
            continue
        try:
            v = run.eval(c.program)
        except EvalError as e:
            errors.append(f"matchCondition '{name}' resulted in error: {e}")
            continue
        if v is not True and v is not False:
            errors.append(f"matchCondition '{name}' must return bool")
        elif v is False:
            return Outcome(False)
    if errors:
        if not fail:
            return Outcome(False)
        return Outcome(True, [Violation("; ".join(errors), "InternalError", error=True)])
    # variables, in order; each sees the earlier ones
    if policy.variables:
        values: dict = {}
        var_errors: dict = {}
        for name, c, _where in policy.variables:
            run.data["variables"] = values
            run._act = run._size = None
            if c.error:
                var_errors[name] = c.error
                continue
            try:
                values[name] = _plain(run, c.program)
            except EvalError as e:
                var_errors[name] = str(e)
        run.data["variables"] = values
        run._act = None
    else:
        var_errors = {}
    out = Outcome(True)
    for i, v in enumerate(policy.validations):
        c = v.expression
        if c.error:
            if fail:
                out.violations.append(Violation(f"expression '{c.source}': {c.error}",
                                                "InternalError", v.field_path or (), True, i))
            continue
        try:
            ok = run.eval(c.program)
            if ok is not True and ok is not False:
                raise EvalError("validation failed due to an unexpected result type: "
                                "expression must return bool")
        except EvalError as e:
            if fail:
                detail = str(e)
                used = [n for n in var_errors if f"variables.{n}" in c.source]
                if used:
                    detail = f"variables.{used[0]}: {var_errors[used[0]]}"
                out.violations.append(Violation(f"expression '{c.source}' resulted in error: "
                                                f"{detail}", "InternalError",
                                                v.field_path or (), True, i))
            continue
        if ok:
            continue
        path = v.field_path
        if path is None:
            path = _culprit(run, c.program) or _variable_culprit(run, policy, c.program.source)
        out.violations.append(Violation(_message(run, v), v.reason or "Invalid", path, False, i))
    for key, c, _where in policy.audit_annotations:
        if c.error:
            continue
        try:
            val = run.eval(c.program)
        except EvalError:
            continue
        if isinstance(val, str):
            out.audit_annotations[f"{policy.name}/{key}"] = val
    return out


def known_false(policy: CompiledPolicy, indexes: list, run: _Run) -> list | None:
    """The violations of the validations ``indexes`` of ``policy`` (one
    without match conditions or variables), already known to be false
    for ``run``'s data (evaluated together with others): what ``evaluate``
    gives, without evaluating them again; only their messages and field
    paths are worked out. None when ``evaluate`` could answer otherwise
    (an expression over its cost limit or the budget): evaluate then."""
    out = []
    run.spent = 0
    for i in indexes:
        v = policy.validations[i]
        prog = v.expression.program
        if prog is None or run.spent > POLICY_BUDGET:
            return None
        cost = (prog.cost(run.data, run.size, run.longest, PER_CALL_LIMIT) if prog.depth
                else prog.static_cost)
        if cost > PER_CALL_LIMIT:
            return None
        run.spent += cost
        path = v.field_path
        if path is None:
            path = _culprit(run, prog)
        out.append(Violation(_message(run, v), v.reason or "Invalid", path, False, i))
    return out


def _plain(run: _Run, prog: Program):
    v = run.eval(prog)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return prog.plain(run.act(), run.data, run.size)


def _message(run: _Run, v: Validation) -> str:
    me = v.message_expression
    if me is not None and me.program is not None:
        try:
            text = run.eval(me.program)
        except EvalError:
            text = None
        if isinstance(text, str) and text.strip() and "\n" not in text and len(text) <= 5000:
            return text
    if v.message:
        return v.message
    return f"failed expression: {v.expression.source}"


def _culprit(run: _Run, prog: Program) -> tuple:
    """The deepest field of ``object`` the expression read; through a list
    (``containers.all(c, ...)``) the first element that fails on its own."""
    obj = run.data.get("object")
    best: tuple = ()
    for chain in prog.chains:
        path = _resolve(run, prog, obj, chain)
        if len(path) > len(best):
            best = path
    return best


def _variable_culprit(run: _Run, policy: CompiledPolicy, source: str) -> tuple:
    """Where the expression reads ``object`` only through variables: the
    deepest field those variables read (through a list: the list itself)."""
    chains: list = []
    todo, seen = [source], set()
    while todo:
        text = todo.pop()
        for name, c, _where in policy.variables:
            if c.program is not None and name not in seen and f"variables.{name}" in text:
                seen.add(name)
                chains += c.program.chains
                todo.append(c.program.source)
    obj = run.data.get("object")
    best: tuple = ()
    for chain in chains:
        path = _resolve(run, None, obj, chain)
        if len(path) > len(best):
            best = path
    return best


def _resolve(run: _Run, prog: Program | None, obj, chain: tuple) -> tuple:
    out: list = []
    cur = obj
    for part in chain:
        if part is None:
            if prog is None or not isinstance(cur, list) or not cur:
                return tuple(out)
            idx = _failing_index(run, prog, obj, tuple(out), cur)
            if idx is None:
                return tuple(out)
            out.append(idx)
            cur = cur[idx]
            continue
        out.append(part)
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            return tuple(out)  # a missing field: the finding points at its parent's line
    return tuple(out)


def _failing_index(run: _Run, prog: Program, obj, path: tuple, items: list) -> int | None:
    """The first element of the list at ``path`` for which the expression,
    given a copy of the object holding only that element, is false."""
    if len(items) == 1:
        return 0
    for i in range(min(len(items), 64)):
        data = dict(run.data)
        data["object"] = _replace(obj, path, [items[i]])
        try:
            if compile_free_eval(prog, data) is False:
                return i
        except EvalError:
            continue
    return None


def compile_free_eval(prog: Program, data: dict):
    r = _Run(data)
    return r.eval(prog)


def _replace(value, path: tuple, new):
    if not path:
        return new
    head = path[0]
    if isinstance(value, dict):
        copy = dict(value)
        copy[head] = _replace(value[head], path[1:], new)
        return copy
    copy = list(value)
    copy[head] = _replace(value[head], path[1:], new)
    return copy
