"""sestui/private_file.py: every file sestui writes is its owner's only (0600)."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

import sestui
from sestui.private_file import open_private, replace_private

PACKAGE = Path(sestui.__file__).parent


@pytest.fixture
def umask0():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write(path: Path, how: str, text: str) -> None:
    if how == "replace":
        replace_private(path, text)
    else:
        with open_private(path, how) as f:
            f.write(text)


@pytest.mark.parametrize("how", ["x", "w", "a", "replace"])
def test_a_new_file_is_0600_whatever_the_umask(tmp_path, umask0, how):
    path = tmp_path / "new.txt"
    write(path, how, "héllo\n")
    assert path.read_text(encoding="utf-8") == "héllo\n"
    assert mode_of(path) == 0o600


@pytest.mark.parametrize("how, left", [("w", "new\n"), ("a", "old\nnew\n"), ("replace", "new\n")])
def test_a_file_that_was_0644_ends_0600(tmp_path, umask0, how, left):
    path = tmp_path / "old.txt"
    path.write_text("old\n")
    path.chmod(0o644)
    write(path, how, "new\n")
    assert path.read_text() == left
    assert mode_of(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]  # no temporary file left


def test_create_new_refuses_a_file_that_is_there(tmp_path):
    path = tmp_path / "there.txt"
    path.write_text("kept")
    path.chmod(0o644)
    with pytest.raises(FileExistsError):
        open_private(path, "x")
    assert path.read_text() == "kept" and mode_of(path) == 0o644


def test_replace_can_keep_a_mode_the_user_chose(tmp_path, umask0):
    path = tmp_path / "config.toml"
    path.write_text("a = 1\n")
    path.chmod(0o640)
    replace_private(path, "a = 2\n", keep_mode=True)
    assert path.read_text() == "a = 2\n" and mode_of(path) == 0o640
    fresh = tmp_path / "fresh.toml"
    replace_private(fresh, "b = 1\n", keep_mode=True)
    assert mode_of(fresh) == 0o600


def test_a_failed_replace_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "modes.json"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        replace_private(path, "\udcff", encoding="ascii")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["modes.json"]


def _store(path: Path) -> None:
    from sestui.store import Store

    Store(path).close()


def _suppression_csv(path: Path) -> None:
    from sestui.ops.suppressions import write_csv_file

    write_csv_file(str(path), [{"email": "a@example.com", "reason": "BOUNCE", "last_update": None}])


def _policy_modes(path: Path) -> None:
    from sestui.ops.policies import PolicyConfig
    from sestui.ops.policy_share import write_modes

    write_modes(path, PolicyConfig.from_table({}))


def _config(path: Path) -> None:
    from sestui.config import file as configfile

    configfile.update(path, {"region": "eu-west-1"})


@pytest.mark.parametrize("write", [_store, _suppression_csv, _policy_modes, _config])
def test_each_writer_makes_a_new_file_0600_whatever_the_umask(tmp_path, umask0, write):
    path = tmp_path / "new" / "file"
    path.parent.mkdir()
    write(path)
    assert mode_of(path) == 0o600


@pytest.mark.parametrize("write", [_suppression_csv, _policy_modes])
def test_each_writer_that_replaces_a_0644_file_leaves_it_0600(tmp_path, umask0, write):
    path = tmp_path / "old"
    path.write_text("")
    path.chmod(0o644)
    write(path)
    assert mode_of(path) == 0o600


# What writes a file, as a call: open(..., "w"), os.open, os.fdopen, Path.write_text, mkstemp, ...
WRITE_MODE = set("wax+")
ALWAYS = {("os", "open"), ("os", "fdopen"), ("io", "open"), ("tempfile", "mkstemp"),
          ("tempfile", "NamedTemporaryFile"), ("shutil", "copy"), ("shutil", "copyfile")}


def _mode_arg(call: ast.Call, position: int) -> str:
    """The mode an open() call passes: "r" when none; "?" when it is not a literal."""
    node = call.args[position] if len(call.args) > position else None
    for kw in call.keywords:
        if kw.arg == "mode":
            node = kw.value
    if node is None:
        return "r"
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "?"


def file_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            if WRITE_MODE & set(_mode_arg(node, 1).replace("?", "w")):  # a mode not written out may write
                lines.append(node.lineno)
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            if (owner, func.attr) in ALWAYS:
                devnull = (node.args and isinstance(node.args[0], ast.Attribute) and node.args[0].attr == "devnull")
                if not devnull:  # os.open(os.devnull, ...) for dup2 writes no file
                    lines.append(node.lineno)
            elif func.attr in ("write_text", "write_bytes"):
                lines.append(node.lineno)
            elif func.attr == "open" and owner not in ("os", "io"):  # Path.open
                if WRITE_MODE & set(_mode_arg(node, 0)):
                    lines.append(node.lineno)
    return lines


def test_the_checker_sees_each_way_of_writing_a_file():
    source = """
open(p, "w"); open(p, mode="a"); open(p, m); os.open(p, flags, 0o600); os.fdopen(fd, "w")
Path(p).write_text("x"); p.write_bytes(b""); p.open("w"); tempfile.mkstemp(); shutil.copyfile(a, b)
open(p); open(p, "rb"); p.open(); os.open(os.devnull, os.O_WRONLY); p.read_text()
"""
    assert file_writes(ast.parse(source)) == [2] * 5 + [3] * 5


def test_every_file_sestui_writes_goes_through_private_file():
    """The sandbox imports nothing of sestui and keeps its own 0600 open."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "private_file.py" or rel.startswith("sandbox/"):
            continue
        found += [f"sestui/{rel}:{line}" for line in file_writes(ast.parse(path.read_text(), rel))]
    assert found == [], "write these through sestui.private_file (open_private, replace_private)"
