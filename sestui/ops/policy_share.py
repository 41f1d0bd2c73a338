"""The console's live policy toggles, for a collector in another process: the console writes the
modes to a small JSON file whenever the operator cycles one, and the collector reads them before
it applies the policies to each commit (only when the file changed)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from sestui.ops.policies import MODES, RULES, PolicyConfig
from sestui.private_file import replace_private

log = logging.getLogger("sestui.policies")


def write_modes(path: Path, config: PolicyConfig) -> None:
    """Atomically replace `path` with the modes of `config` (readable by the owner only)."""
    replace_private(path, json.dumps({rule: config.mode(rule) for rule in RULES}))


class PublishedPolicies(PolicyConfig):
    """The console's PolicyConfig: every change the UI makes is written to `path` for the collector."""

    def __init__(self, config: PolicyConfig, path: Path):
        super().__init__(**vars(config))
        self._path = path
        write_modes(path, self)

    def cycle(self, rule: str) -> str:
        mode = super().cycle(rule)
        try:
            write_modes(self._path, self)
        except OSError as exc:  # the toggle still applies to this console's view
            log.warning("could not pass the policy change to the collector: %s", exc)
        return mode


class ModesFile:
    """The collector's side: `refresh(config)` sets the modes the console last wrote, if any."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None

    def refresh(self, config: PolicyConfig) -> None:
        try:
            st = os.stat(self.path)
            if (st.st_mtime_ns, st.st_size) == self._seen:
                return
            self._seen = (st.st_mtime_ns, st.st_size)
            modes = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return  # no file (yet), or half written: keep the modes we have
        for rule in RULES:
            if modes.get(rule) in MODES:
                setattr(config, rule, modes[rule])
