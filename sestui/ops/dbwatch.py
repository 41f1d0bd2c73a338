"""Is the database path still the file we have open? A database deleted or replaced under a running
process keeps working on the unlinked file, silently: everything written after is lost."""

from __future__ import annotations

import os
from pathlib import Path


class FileIdentity:
    """The (device, inode) a path named when this was made; `problem()` says if it no longer does.
    Made right after the store opened the file, it names the file the store holds open."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            st = os.stat(self.path)
            self._identity: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            self._identity = None  # not a file (":memory:"): nothing to watch

    def problem(self) -> str | None:
        if self._identity is None:
            return None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return f"the database {self.path} was deleted"
        except OSError as exc:
            return f"the database {self.path} cannot be checked: {exc.strerror or exc}"
        if (st.st_dev, st.st_ino) != self._identity:
            return f"the database {self.path} was replaced by another file"
        return None
