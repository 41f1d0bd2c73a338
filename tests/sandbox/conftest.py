"""The AWS CLI v1 as a second client of the sandbox: its own botocore, an older SESv2 model. The
`aws` executable comes from SESTUI_TEST_AWSCLI; in CI (CI=true) a missing one fails the run
instead of skipping it.

    python3 -m venv /tmp/awscli-venv && /tmp/awscli-venv/bin/pip install awscli
    SESTUI_TEST_AWSCLI=/tmp/awscli-venv/bin/aws pytest tests/sandbox/test_sandbox_awscli.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def aws_cli() -> str:
    path = os.environ.get("SESTUI_TEST_AWSCLI", "")
    if not path or not Path(path).is_file() or not os.access(path, os.X_OK):
        message = (f"SESTUI_TEST_AWSCLI={path!r} does not name an executable `aws` (the AWS CLI v1 from PyPI: "
                   "python3 -m venv .ci/awscli && .ci/awscli/bin/pip install awscli)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def cli(aws_cli, sandbox, tmp_path):
    """`cli("sesv2", "get-account")` -> (exit code, parsed JSON or None, stderr)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": sandbox.info.region,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }

    def run(*args: str) -> tuple[int, object, str]:
        done = subprocess.run([aws_cli, "--endpoint-url", sandbox.info.endpoint_url, "--output", "json", *args],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        out = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, out, done.stderr

    return run


@pytest.fixture
def cli_refusal(cli):
    """`cli_refusal("sesv2", "get-contact", ...)` -> (code, message) of the error the CLI printed
    (`An error occurred (Code) when calling the X operation: message`); it must have failed."""

    def run(*args: str) -> tuple[str, str]:
        code, out, err = cli(*args)
        match = re.search(r"An error occurred \(([^)]+)\) when calling the \w+ operation: (.*)", err)
        assert code != 0 and out is None and match, (code, out, err)
        return match.group(1), match.group(2).strip()

    return run
