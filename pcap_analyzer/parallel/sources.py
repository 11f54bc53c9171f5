"""Inputs by path or URL (fsspec): a local or NFS path is read in place (memory-mapped); any other URL (s3:// with
s3fs installed, http(s)://, ...) is copied by the task that reads it to a temporary file on its worker."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError

LOCAL_PROTOCOLS = ("file", "local")


def is_url(name: str | os.PathLike[str]) -> bool:
    """A URL with a scheme (``s3://bucket/key``, ``file:///x``), not a path."""
    return "://" in str(name)


def local_path(name: str | os.PathLike[str]) -> Path | None:
    """The local path of ``name`` (a path, or a file:// URL); None for a remote URL."""
    if not is_url(name):
        return Path(name)
    fs, path = filesystem(str(name))
    return Path(path) if fs.protocol in LOCAL_PROTOCOLS or set(fs.protocol) & set(LOCAL_PROTOCOLS) else None


def filesystem(url: str):  # -> tuple[fsspec.AbstractFileSystem, str]
    """The fsspec filesystem of ``url`` and the path in it; a bad or unsupported URL is one InputError."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise InputError(f"{url}: the filesystem for this URL is not installed ({exc})") from None
    except (ValueError, TypeError) as exc:
        raise InputError(f"{url}: not a readable URL ({exc})") from None


def check(url: str) -> None:
    """Fail early, before any task runs, when a URL names nothing readable."""
    fs, path = filesystem(url)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise InputError(f"{url}: no such file") from None
    except Exception as exc:  # every filesystem has its own errors (credentials, network, permissions)
        raise InputError(f"{url}: cannot be read ({type(exc).__name__}: {exc})") from None
    if info.get("type") == "directory":
        raise InputError(f"{url}: is a directory, not a capture")


@contextlib.contextmanager
def fetched(url: str) -> Iterator[Path]:
    """A local file to read ``url`` from: the path itself when it is local, else a temporary copy (removed after)."""
    path = local_path(url)
    if path is not None:
        yield path
        return
    fs, remote = filesystem(url)
    fd, tmp = tempfile.mkstemp(prefix="fallback-hunt-", suffix=Path(remote).suffix)
    os.close(fd)
    try:
        try:
            fs.get_file(remote, tmp)
        except FileNotFoundError:
            raise InputError(f"{url}: no such file") from None
        except OSError as exc:
            raise InputError(f"{url}: cannot be read ({exc})") from None
        yield Path(tmp)
    finally:
        os.unlink(tmp)
