"""The layering rules of DESIGN.md, checked on the source with `ast`: who may import what."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sestui"

# events.py is pure functions over dicts and strings: only modules that compute.
PURE_MODULES = {"__future__", "json", "dataclasses", "datetime", "typing", "re", "enum", "collections",
                "functools", "itertools", "math", "decimal", "string", "abc", "operator", "codecs", "orjson"}
# Named in the failure message so a reader sees what the allowlist is protecting against.
IO_MODULES = {"os", "io", "sys", "pathlib", "shutil", "tempfile", "glob", "socket", "ssl", "http", "urllib",
              "requests", "subprocess", "threading", "asyncio", "time", "logging", "sqlite3", "sqlite_utils",
              "boto3", "botocore", "platformdirs", "textual", "rich"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` imports, anywhere in it (also inside functions), as absolute names;
    `importlib.import_module("x")` and `__import__("x")` with a literal name count too."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                target = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                if not node.module:  # `from . import aws` imports the module sestui.aws
                    found.update(f"{target}.{alias.name}" for alias in node.names)
            else:
                target = node.module
            found.add(target)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name) and node.func.id == "__import__")
                   or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
            found.add(node.args[0].value)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@functools.lru_cache(maxsize=1)
def sources() -> dict[str, tuple[Path, frozenset[str]]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        out[name] = (path, frozenset(imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")))
    return out


def in_area(module: str, *areas: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in areas)


def textual_outside_ui(modules) -> list[str]:
    return [f"{m} imports {i}" for m, (_, imps) in modules.items() if not in_area(m, "sestui.ui")
            for i in sorted(imps) if top(i) == "textual"]


def aws_sdk_outside_aws(modules) -> list[str]:
    return [f"{m} imports {i}" for m, (_, imps) in modules.items() if not in_area(m, "sestui.aws", "sestui.sandbox")
            for i in sorted(imps) if top(i) in ("boto3", "botocore")]


def impure_imports_of_events(modules) -> list[str]:
    _, imps = modules["sestui.events"]
    return [f"sestui.events imports {i}{' (does I/O)' if top(i) in IO_MODULES else ''}"
            for i in sorted(imps) if top(i) not in PURE_MODULES]


RULES = {
    "nothing outside sestui/ui imports textual": textual_outside_ui,
    "only sestui/aws.py and sestui/sandbox import boto3/botocore": aws_sdk_outside_aws,
    "sestui/events.py imports nothing that does I/O": impure_imports_of_events,
}


def test_the_walk_sees_the_core_modules():
    modules = sources()
    assert {"sestui.events", "sestui.store", "sestui.cli", "sestui.bodies"} <= set(modules)
    assert "sqlite3" in modules["sestui.store"][1]  # the walk really reads imports


@pytest.mark.parametrize("rule", RULES)
def test_layering_rule(rule):
    assert RULES[rule](sources()) == []


# The checkers must catch a break of each rule: fed a module that breaks it, they report it.
@pytest.mark.parametrize("rule, module, source", [
    ("nothing outside sestui/ui imports textual", "sestui.cli", "def tui():\n    from textual.app import App\n"),
    ("nothing outside sestui/ui imports textual", "sestui.store", "import importlib\nimportlib.import_module('textual')\n"),
    ("only sestui/aws.py and sestui/sandbox import boto3/botocore", "sestui.collector", "import boto3\n"),
    ("only sestui/aws.py and sestui/sandbox import boto3/botocore", "sestui.ui.send", "from botocore.exceptions import ClientError\n"),
    ("sestui/events.py imports nothing that does I/O", "sestui.events", "import os\n"),
    ("sestui/events.py imports nothing that does I/O", "sestui.events", "from pathlib import Path\n"),
    ("sestui/events.py imports nothing that does I/O", "sestui.events", "def f():\n    import sqlite3\n"),
    ("sestui/events.py imports nothing that does I/O", "sestui.events", "from .store import Store\n"),
    ("sestui/events.py imports nothing that does I/O", "sestui.events", "from . import aws\n"),
])
def test_rule_checker_reports_a_violation(rule, module, source):
    modules = {**sources(), module: (Path("synthetic.py"), imports(source, module))}
    assert RULES[rule](modules), f"{rule!r} missed: {source!r}"


@pytest.mark.parametrize("module, source", [
    ("sestui.ui.app", "from textual.app import App\n"),
    ("sestui.aws", "import boto3\nfrom botocore.config import Config\n"),
    ("sestui.sandbox.server", "import botocore\n"),
])
def test_rule_checkers_allow_the_permitted_places(module, source):
    modules = {**sources(), module: (Path("synthetic.py"), imports(source, module))}
    assert [v for check in RULES.values() for v in check(modules) if v.startswith(module + " ")] == []


def test_relative_imports_resolve_to_absolute_names():
    assert imports("from .events import parse_body\nfrom . import store\nfrom ..x import y\n", "sestui.ui.flow") == {
        "sestui.ui.events", "sestui.ui", "sestui.ui.store", "sestui.x"}
    assert imports("from .events import parse_body\n", "sestui.cli") == {"sestui.events"}
