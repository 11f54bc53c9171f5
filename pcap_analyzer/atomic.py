"""All-or-nothing report sets: every output is written under a temporary name in OUTDIR, and renamed into place
only when all of them were written.  On any failure (disk full, a report path that is a directory, Ctrl-C) the
temporary files are removed and the previous report set is left as it was.

The renames themselves are checked first (each target must be absent or a plain file); if one still fails part
way, the targets already replaced are put back from hard links of the old files.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .errors import InputError

#: Writes one output to the path it is given.
Writer = Callable[[Path], None]


def temporary_name(path: Path) -> Path:
    """A hidden, unique name beside ``path`` (same directory: the final rename cannot cross file systems)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")


def _check_target(path: Path) -> None:
    if path.is_symlink() or not path.exists():
        return
    if not path.is_file():
        raise InputError(f"cannot write {path}: it exists and is not a regular file")


def write_all(jobs: Sequence[tuple[Path, Writer]]) -> None:
    """Run every writer on a temporary name, then move them all into place; raises InputError on failure, after
    which no final path has changed."""
    for path, _ in jobs:
        _check_target(path)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, writer in jobs:
            tmp = temporary_name(path)
            staged.append((tmp, path))
            writer(tmp)
        _commit(staged)
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or 'the reports'}: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def _commit(staged: list[tuple[Path, Path]]) -> None:
    """Rename each temporary file onto its target; if one rename fails, put back the targets already replaced."""
    backups: list[tuple[Path, Path | None]] = []
    try:
        for tmp, path in staged:
            backup = None
            if path.exists() and not path.is_symlink():
                backup = temporary_name(path)
                os.link(path, backup)
            backups.append((path, backup))
            os.replace(tmp, path)
    except OSError:
        for path, backup in reversed(backups):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, path)
                else:
                    path.unlink(missing_ok=True)
        raise
    finally:
        for _, backup in backups:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)


@contextlib.contextmanager
def removed_on_exit(path: Path) -> Iterator[Path]:
    """``path`` (a temporary file) is removed however the block ends: error, Ctrl-C or SIGTERM (see signals)."""
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
