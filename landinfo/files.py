"""Files the register writes that must never be seen half-written or by anyone else: keys, state."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` by `data` all at once and durably, readable by its owner only (0600).

    The data goes to a temporary file beside it (0600 from its creation: a key is never
    readable by others, not even briefly), is flushed to disk and renamed over `path`, and
    the folder is flushed so that the rename survives a crash. The temporary file's name is
    random: in a container a process is always pid 1, so a name made of the pid and left
    behind by a crash would block every later write.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
