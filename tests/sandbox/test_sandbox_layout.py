"""The sandbox package's shape: it imports nothing of sestui outside itself, no two of its modules
share a name, modules stay small, and `import sestui.sandbox` does not load moto."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sestui" / "sandbox"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parents[1]).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _imports(path: Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            else:
                found.add(node.module)
    return found


def sandbox_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_walk_sees_the_three_areas():
    names = {_module_name(p) for p in sandbox_modules()}
    assert {"sestui.sandbox.http.gateway", "sestui.sandbox.ses.api", "sestui.sandbox.demo.traffic"} <= names


def test_the_sandbox_imports_nothing_of_sestui_outside_itself():
    outside = [f"{_module_name(p)} imports {i}" for p in sandbox_modules() for i in sorted(_imports(p))
               if (i == "sestui" or i.startswith("sestui.")) and not i.startswith("sestui.sandbox")]
    assert outside == []


def test_the_import_walk_resolves_relative_imports():
    # The checker must see a violation written as a relative import from a nested module.
    target = PACKAGE / "ses" / "api" / "v1.py"
    assert "sestui.sandbox.http.protocol" in _imports(target)


def test_no_two_sandbox_modules_share_a_name():
    stems = [p.stem for p in sandbox_modules() if p.name != "__init__.py"]
    packages = [p.parent.name for p in sandbox_modules() if p.name == "__init__.py" and p.parent != PACKAGE]
    names = stems + packages + ["sandbox"]
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.parametrize("path", sandbox_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) < 400


def test_importing_the_package_is_cheap_and_the_api_is_there():
    script = ("import sys, sestui.sandbox as s\n"
              "assert 'moto' not in sys.modules, 'import sestui.sandbox loaded moto'\n"
              "o = s.SandboxOptions(port=1, rate=2.0)\n"
              "assert 'moto' not in sys.modules\n"
              "names = [s.Sandbox, s.SandboxError, s.SandboxInfo, s.AccountSettings, s.Engagement, s.run_sandbox]\n"
              "assert 'moto' in sys.modules\n"
              "print(sorted(s.__all__))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(sorted(["AccountSettings", "Engagement", "Sandbox", "SandboxError", "SandboxInfo",
                                              "SandboxOptions", "run_sandbox"]))


def test_sandbox_options_has_one_field_per_flag():
    from dataclasses import fields

    from sestui.sandbox import SandboxOptions

    assert [f.name for f in fields(SandboxOptions)] == [
        "port", "rate", "bare", "production", "sending_paused", "enforcement", "max_send_rate", "max_24h_send",
        "delay_scale", "seed", "history", "region"]


def test_the_areas_depend_one_way():
    """The SES model (ses/, but its api/) knows neither HTTP nor the demo; http/ does not know
    the demo; ses/api/ is the bridge between the wire (http.protocol) and the model."""
    problems = []
    for path in sandbox_modules():
        module = _module_name(path)
        for imported in _imports(path):
            if module.startswith("sestui.sandbox.ses") and not module.startswith("sestui.sandbox.ses.api"):
                if imported.startswith(("sestui.sandbox.http", "sestui.sandbox.demo", "sestui.sandbox.ses.api")):
                    problems.append(f"{module} imports {imported}")
            if module.startswith("sestui.sandbox.http") and imported.startswith("sestui.sandbox.demo"):
                problems.append(f"{module} imports {imported}")
    assert problems == []
