"""Owner-only files and folders: a database or an archive holds chats no other local user may read.

Modes are given where things are created, not left to the process umask (a
library cannot know it; 022 is common and makes files 0644).  A mode passed to
``mkdir``/``open`` is still masked by the umask, which can only take bits
away, so 0700/0600 survive any umask; parents ``mkdir`` creates get the
default mode, hence the explicit ``chmod`` of every folder created here.
Folders that already exist keep their mode: ``--out ~/exports`` must not
change the user's own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents, each 0700."""
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, PRIVATE_DIR)
    return path


def private_opener(path: str | os.PathLike[str], flags: int) -> int:
    """``open(path, mode, opener=private_opener)``: a new file is created 0600, an old one made 0600."""
    descriptor = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(descriptor, PRIVATE_FILE)
    return descriptor


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists and is 0600, without touching its content."""
    os.close(private_opener(path, os.O_CREAT | os.O_WRONLY))


def make_private(path: Path) -> None:
    """Tighten what something else created (SQLite's -wal and -shm files, a renderer's output)."""
    if path.exists():
        os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
