"""Files readable by their owner only (0600): what sestui writes holds addresses, secrets, or logs
that quote them. Every file sestui writes is opened here (tests/test_private_file.py checks it);
the sandbox, which imports nothing of sestui, keeps its own.

Below every layer (it imports nothing of sestui), so store, config, ops and cli all may use it."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import IO

PRIVATE = 0o600

_FLAGS = {
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,  # a new file: FileExistsError if there is one
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
}


def open_private(path: str | os.PathLike, mode: str = "w", *, encoding: str = "utf-8",
                 newline: str | None = None) -> IO[str]:
    """open(path, mode) for text, "x" (create new), "w" (create or truncate) or "a" (create or
    append), with a new file made 0600 whatever the umask. A file that was there keeps its mode
    through O_TRUNC/O_APPEND, so one readable by others (0644) is tightened to 0600 too.
    OSError as open() raises it."""
    fd = os.open(path, _FLAGS[mode], PRIVATE)
    try:
        tighten(fd)
        return os.fdopen(fd, mode, encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        raise


def tighten(fd: int) -> None:
    """Make the regular file open on `fd` 0600 if group or others may read or write it."""
    st = os.fstat(fd)
    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
        os.fchmod(fd, PRIVATE)


def replace_private(path: str | os.PathLike, text: str, *, keep_mode: bool = False,
                    encoding: str = "utf-8") -> None:
    """Atomically replace `path` with `text`: written to a temporary 0600 file beside it, then
    renamed over it, so a reader sees the old file or the new one, never half of one.
    keep_mode: the new file keeps the mode of the one it replaces (a config file the user made
    0640 stays 0640); a new file is 0600 either way. OSError as open() raises it; no temporary
    file is left behind."""
    path = Path(path)
    mode = PRIVATE
    if keep_mode:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "w", encoding=encoding) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode != PRIVATE:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
