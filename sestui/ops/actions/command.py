"""Run an argv (never through a shell) with the event JSON on stdin; exit status 0 = done.
The delivery id is in the environment as SESTUI_DELIVERY_ID (stable across retries)."""

from __future__ import annotations

import os
import subprocess

from sestui.ops.actions import Context, Delivery, Outcome

DEFAULT_TIMEOUT = 30.0


def run(ctx: Context, delivery: Delivery) -> Outcome:
    argv = [str(a) for a in delivery.params["argv"]]
    timeout = float(delivery.params.get("timeout", DEFAULT_TIMEOUT))
    env = {**os.environ, "SESTUI_DELIVERY_ID": delivery.delivery_id, "SESTUI_RULE": delivery.rule}
    try:
        proc = subprocess.run(argv, input=delivery.body.encode(), capture_output=True, timeout=timeout, env=env,
                              check=False)
    except FileNotFoundError:
        return Outcome("dead", f"no such program: {argv[0]}")
    except PermissionError:
        return Outcome("dead", f"not executable: {argv[0]}")
    except subprocess.TimeoutExpired:
        return Outcome("retry", f"{argv[0]} did not finish within {timeout:g}s (killed)")
    except OSError as exc:
        return Outcome("retry", f"{argv[0]}: {exc}")
    if proc.returncode == 0:
        return Outcome("done", "exit 0")
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return Outcome("retry", f"exit {proc.returncode}" + (f": {tail[0][:200]}" if tail[0] else ""))
