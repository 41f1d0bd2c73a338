"""Starting the console without usable credentials: one screen that says what to do, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def console(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-creds"),
           "SESTUI_CONFIG": str(tmp_path / "sestui.toml")}
    return subprocess.run([sys.executable, "-m", "sestui.cli", "--db", str(tmp_path / "e.db"), *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("args, reason", [
    (["--region", "us-east-1"], "no AWS credentials found"),
    (["--profile", "nosuch"], "AWS profile 'nosuch' not found"),
])
def test_missing_credentials_explain_themselves_on_one_screen(tmp_path, args, reason):
    proc = console(tmp_path, *args)
    assert proc.returncode == 1
    assert "sestui could not use your AWS credentials" in proc.stderr and reason in proc.stderr
    assert "sestui demo" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) < 24, "fits on one screen"
