"""No module outside ``multitag/annotation/`` decides anything by a level's name: the annotation
level owns its behaviour (:class:`~multitag.annotation.levels.AnnotationLevel`), and a level
added as a plugin must not need a change anywhere else.

The scan reads every module's syntax tree and fails on a built-in level name (``"sentence"``,
``"entity"``, ``"token"``) that is compared (``==``, ``!=``, ``in`` a literal collection, or a literal
``in`` a level or unit value) or that is the default of a level or unit (a field, a parameter, a
keyword argument, a dict entry, ``.get("level", ...)``, ``x.get("levels") or [...]``, a click option
``--level``). The same words used for something else (the dict key ``"sentence"`` of a sentence id,
a query parameter ``"token"``) are not level names and pass.
"""
from __future__ import annotations

import ast
from pathlib import Path

import multitag
from multitag.annotation.levels import DEFAULT_LEVEL, level_names, unasked_level

ROOT = Path(multitag.__file__).resolve().parent
NAMES = {"sentence", "entity", "token"}
LEVEL_WORDS = ("level", "levels", "unit", "units")


def _literal_names(node: ast.AST) -> bool:
    """Whether ``node`` is, or (a collection, a conditional, a call's arguments) holds, a level name literal."""
    return any(isinstance(n, ast.Constant) and n.value in NAMES for n in ast.walk(node))


def _is_level_ref(node: ast.AST) -> bool:
    """Whether ``node`` reads a level or unit: ``level``, ``x.unit``, ``q["unit"]``, ``d.get("level")``."""
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in LEVEL_WORDS:
            return True
        if isinstance(n, ast.Attribute) and n.attr in LEVEL_WORDS:
            return True
        if isinstance(n, ast.Constant) and n.value in LEVEL_WORDS:
            return True
    return False


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides, sides[1:]):
                if isinstance(op, (ast.Eq, ast.NotEq)) and (_is_literal(left) or _is_literal(right)):
                    out.append((node.lineno, "compares a level name"))
                elif isinstance(op, (ast.In, ast.NotIn)):
                    if isinstance(right, (ast.Tuple, ast.List, ast.Set)) and _literal_names(right):
                        out.append((node.lineno, "tests membership in a literal collection of level names"))
                    elif _is_literal(left) and _is_level_ref(right):
                        out.append((node.lineno, "tests a level name in a level value"))
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            names = {t.id if isinstance(t, ast.Name) else getattr(t, "attr", None) for t in targets}
            if names & set(LEVEL_WORDS) and node.value is not None and _literal_names(node.value):
                out.append((node.lineno, "a level name as the default of a level field"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            pos = a.posonlyargs + a.args
            pairs = list(zip(pos[len(pos) - len(a.defaults):], a.defaults)) + list(zip(a.kwonlyargs, a.kw_defaults))
            for arg, default in pairs:
                if default is not None and arg.arg in LEVEL_WORDS and _literal_names(default):
                    out.append((default.lineno, f"a level name as the default of parameter {arg.arg!r}"))
        elif isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in LEVEL_WORDS and _literal_names(kw.value):
                    out.append((node.lineno, f"a level name passed as {kw.arg}="))
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "get" and len(node.args) == 2
                    and _is_level_ref(node.args[0]) and _literal_names(node.args[1])):
                out.append((node.lineno, "a level name as the default of .get()"))
            if (node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in ("--level", "--levels")
                    and any(kw.arg == "default" and _literal_names(kw.value) for kw in node.keywords)):
                out.append((node.lineno, "a level name as the default of a --level option"))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value in LEVEL_WORDS and _literal_names(v):
                    out.append((node.lineno, f"a level name as the value of {k.value!r}"))
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            if any(_is_level_ref(v) for v in node.values) and any(_is_literal_collection(v) for v in node.values):
                out.append((node.lineno, "a level name as the fallback of a level value"))
    return out


def _is_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in NAMES


def _is_literal_collection(node: ast.AST) -> bool:
    return _is_literal(node) or (isinstance(node, (ast.Tuple, ast.List, ast.Set)) and _literal_names(node))


def scan(source: str) -> list[tuple[int, str]]:
    return sorted(set(_violations(ast.parse(source))))


def test_no_module_outside_annotation_decides_by_a_level_name():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent)
        if rel.parts[:2] == ("multitag", "annotation"):
            continue
        for line, why in scan(path.read_text(encoding="utf-8")):
            found.append(f"{rel}:{line}: {why}")
    assert not found, "use the AnnotationLevel API (multitag/annotation/levels.py) instead:\n" + "\n".join(found)


BAD = [
    'if level != "sentence":\n    pass',
    'x = q.unit == "entity"',
    'x = unit in ("entity", "token")',
    'x = "sentence" in spec.level',
    'class R:\n    level: str = "sentence"',
    'def f(*, level="sentence"):\n    pass',
    'a = Annotation(i, t, g, unit="sentence" if whole else "token")',
    'x = k.get("level", "sentence")',
    'x = cfg.get("levels") or ["sentence"]',
    'd = {"level": "sentence", "training_mode": "auto"}',
    'opt = click.option("--level", default="sentence")',
    'levels: list = field(default_factory=lambda: ["sentence"])',
]
GOOD = [
    'if "sentence" not in d or "hash" not in d:\n    pass',
    'x = d["sentence"]',
    'given = request.query_params.get("token")',
    'task = {"sentence": q["sentence_id"], "unit": q["unit"]}',
    'if not get_level(unit).whole_sentence:\n    pass',
    'class R:\n    level: str = DEFAULT_LEVEL',
    'text = _count(n, "sentence")',
]


def test_the_scan_catches_level_name_decisions_and_passes_other_uses_of_the_words():
    for src in BAD:
        assert scan(src), src
    for src in GOOD:
        assert not scan(src), (src, scan(src))


def test_the_name_helpers_agree_with_the_installed_levels():
    assert DEFAULT_LEVEL == level_names()[0] == "sentence"
    assert (unasked_level(True), unasked_level(False)) == ("sentence", "token")
