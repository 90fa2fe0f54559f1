"""Writing output files atomically, so a failed command leaves no half-written file."""

from __future__ import annotations

import os
import tempfile
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


def write_many_atomic(files: dict[Path, bytes]) -> None:
    """Write several files so that either all appear or none do."""
    written: list[Path] = []
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            check_writable_dir(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        for tmp, path in staged:
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            written.append(path)
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write the files: {exc.strerror}") from None
