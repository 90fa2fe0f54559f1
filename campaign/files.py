"""Writing output files atomically, so a failed command leaves no half-written file."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from campaign.errors import OutputError


def check_writable_dir(directory: Path) -> None:
    if not directory.exists():
        raise OutputError(f"the directory {directory} does not exist", "create it first")
    if not directory.is_dir():
        raise OutputError(f"{directory} is a file, not a directory", "choose another path")
    if not os.access(directory, os.W_OK):
        raise OutputError(f"cannot write to {directory}", "check its permissions")


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    check_writable_dir(path.parent if str(path.parent) else Path("."))
    if path.is_dir():
        raise OutputError(f"{path} is a directory", "give a file name with -o")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _default_mode(kind: int) -> int:
    """The mode a plain open/mkdir would give under the user's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return kind & ~umask


def _write_new(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def write_directory(directory: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (name -> bytes) into ``directory``: all of them or none.

    A new directory is filled under a hidden name beside it and renamed into place
    in one step, so nobody ever sees half a mail merge, and a failure leaves
    nothing behind. That is also the fast way: one rename instead of a temporary
    file and a rename per letter. Into an existing directory each file is staged
    under a hidden name first and renamed over its target only once every file
    has been written.
    """
    directory = Path(directory)
    for name in files:
        if name in ("", ".", "..") or os.sep in name or (os.altsep and os.altsep in name):
            raise OutputError(f"'{name}' is not a file name")
    parent = directory.parent if str(directory.parent) else Path(".")
    if directory.exists():
        if not directory.is_dir():
            raise OutputError(f"{directory} is a file, not a directory", "choose another path")
        _write_into(directory, files)
        return
    check_writable_dir(parent)
    try:
        staging = tempfile.mkdtemp(dir=parent, prefix=f".{directory.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}") from None
    try:
        file_mode = _default_mode(0o666)
        for name, data in files.items():
            _write_new(os.path.join(staging, name), data, file_mode)
        os.chmod(staging, _default_mode(0o777))
        os.rename(staging, directory)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write {directory}: {exc.strerror}",
                          "check the free space and permissions there") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_into(directory: Path, files: dict[str, bytes]) -> None:
    check_writable_dir(directory)
    staged: list[tuple[str, Path]] = []
    file_mode = _default_mode(0o666)
    try:
        for name, data in files.items():
            tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
            staged.append((tmp, directory / name))
            _write_new(tmp, data, file_mode)
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp for tmp, _ in staged)
        raise OutputError(f"cannot write the files in {directory}: {exc.strerror}",
                          "check the free space and permissions there") from None
    except BaseException:
        _discard(tmp for tmp, _ in staged)
        raise


def _discard(paths: Iterable[str]) -> None:
    """Remove temporary files, some of which were never created (or cannot be named)."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)
