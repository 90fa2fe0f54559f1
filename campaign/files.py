"""Every file the toolkit writes leaves through here, under one set of rules.

- A single file is written to a temporary file beside it and renamed into place,
  so a failure (a full disk, a kill) keeps the old file and leaves no temporary one.
- ``-`` means standard output.
- An existing path that is a FIFO or a character device (a terminal, ``/dev/null``)
  is written through, never replaced by a regular file; ``/dev/stdout``, ``/dev/fd/N``
  and ``/proc/self/fd/N`` are written where the descriptor points; a symlink to a
  file stays a link (its target is replaced); a directory where a file is meant, a
  socket or a block device is refused.
- Nothing is ever written over the campaign's store or its journal files, by any
  path, hard link or descriptor: the CLI registers the store with ``protect`` when it
  opens it.
- A full disk is one line naming the file; the old file stays whole.
- New files get the mode a plain ``open`` would (0666 less the umask); a file that
  is replaced keeps its mode, so a private 0600 export stays private.
- Temporary files and staging directories carry the writer's process id in their
  name (``.NAME.<pid>.<random>.tmp``); a later run removes those whose process is
  gone (a merge killed with SIGKILL), and never a live process's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from campaign.errors import InputError, OutputError, UsageError

STDOUT = "-"

# The realpaths of the store and its -wal/-shm/-journal, while a command has it open.
_protected: set[str] = set()

# Ours: ".NAME.<pid>.<random>.tmp", random as mkstemp/mkdtemp or token_hex make it.
_STAGING = re.compile(r"^\..+\.(\d{1,10})\.[a-z0-9_]{8}\.tmp$")


def protect(path: str | Path) -> None:
    """Register a store file: no output may be written onto it or its journal files."""
    real = os.path.realpath(os.fspath(path))
    _protected.update(real + suffix for suffix in ("", "-wal", "-shm", "-journal"))


def unprotect(path: str | Path) -> None:
    """The store is closed: forget it (a library caller may open many in one process)."""
    real = os.path.realpath(os.fspath(path))
    _protected.difference_update(real + suffix for suffix in ("", "-wal", "-shm", "-journal"))


def expand_user(path: str) -> str:
    """``~`` and ``~user`` expanded as a shell does; ``~nobody-here`` left as a name in
    the current directory (made absolute, since pathlib drops a leading ``./`` and its
    ``expanduser`` would then raise RuntimeError)."""
    expanded = os.path.expanduser(path)
    parts = Path(expanded).parts  # "./~x" is "~x" to pathlib, and its expanduser raises
    if not (parts and parts[0].startswith("~")):
        return expanded
    absolute = os.path.abspath(expanded)
    return absolute + os.sep if expanded.endswith(os.sep) else absolute  # "dir/" stays one


def expand_home(path: str, what: str) -> str:
    """``~`` and ``~user`` expanded; a ``~name`` that names no user is refused.

    For paths whose directories are made when missing (the store, the template cache):
    there a ``~nouser/x.db`` would quietly become a directory literally called
    ``~nouser`` in the current one. (``-o`` keeps a shell's reading, a file so named.)
    """
    expanded = os.path.expanduser(path)
    if expanded.startswith("~"):
        first = expanded.split(os.sep, 1)[0]
        user = first[1:]
        raise UsageError(f"{what} {path}: there is no user called '{user}' for {first} to "
                         "stand for", "write the path in full, or ./" + path + " for a "
                         "directory of that name here")
    return expanded


def is_stdout(output: str | Path | None) -> bool:
    """Whether ``-o`` asked for standard output (``-o -``)."""
    return output is not None and os.fspath(output) == STDOUT


def check_writable_dir(directory: Path) -> None:
    if not directory.exists():
        raise OutputError(f"the directory {directory} does not exist", "create it first")
    if not directory.is_dir():
        raise OutputError(f"{directory} is a file, not a directory", "choose another path")
    if not os.access(directory, os.W_OK):
        raise OutputError(f"cannot write to {directory}", "check its permissions")


def _refuse_store(path: Path, st: os.stat_result | None) -> None:
    """Refuse the store by its real path, and by its inode (a hard link to it)."""
    hit = os.path.realpath(path) in _protected
    if not hit and st is not None:
        for protected in _protected:
            with contextlib.suppress(OSError):
                other = os.stat(protected)
                if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                    hit = True
                    break
    if hit:
        raise OutputError(f"{path} is the campaign's store (or one of its files)",
                          "write the output to another file")


# Paths that name one of the process's own open descriptors: /dev/stdout, /dev/fd/1,
# /proc/self/fd/1. Replacing them would replace a symlink in /dev (as root); opening
# them anew would start a redirected file again at its first byte.
_STD_PATHS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)$")


def _descriptor(path: Path) -> int | None:
    """The open descriptor ``path`` names, following a few symlinks (/dev/stdout is one
    to /proc/self/fd/1); None for an ordinary path."""
    text = os.path.abspath(os.fspath(path))
    for _ in range(8):
        if text in _STD_PATHS:
            return _STD_PATHS[text]
        match = _FD_PATH.match(text)
        if match:
            return int(match.group(1))
        if not os.path.islink(text):
            return None
        try:
            text = os.path.join(os.path.dirname(text), os.readlink(text))
        except OSError:
            return None
        text = os.path.normpath(text)
    return None


def output_kind(path: Path) -> str:
    """'new', 'file' (a regular file to replace), 'stream' (a FIFO or a character
    device to write through) or 'descriptor' (/dev/stdout and the like: written
    where the descriptor points); anything else is refused with an OutputError."""
    fd = _descriptor(path)
    if fd is not None:
        try:
            st_fd = os.fstat(fd)
        except OSError:
            raise OutputError(f"cannot write {path}: it names no open file",
                              "give -o a file name") from None
        _refuse_store(path, st_fd)
        if stat.S_ISDIR(st_fd.st_mode) or fd == 0:
            raise OutputError(f"cannot write {path}: it is not open for output",
                              "give -o a file name")
        return "descriptor"
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputError(f"cannot write {path}: part of its path is a file, not a directory",
                          "choose another path") from None
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}",
                          "choose another path") from None
    _refuse_store(path, st)
    if st is None:
        return "new"
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return "stream"
    what = ("a directory" if stat.S_ISDIR(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a block device" if stat.S_ISBLK(mode) else "not a regular file")
    hint = "give a file name with -o" if stat.S_ISDIR(mode) else \
        "give -o the name of a regular file"
    raise OutputError(f"{path} is {what}", hint)


def _why(path: Path, exc: OSError) -> OutputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"cannot write {path}: the disk is full ({exc.strerror})",
                           "free some space and try again; nothing was changed")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}",
                       "check the free space and permissions there")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_stdout(data: bytes) -> None:
    """The bytes on standard output, as they are (a PDF piped to another program)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (a library caller's StringIO)
        sys.stdout.write(data.decode("utf-8", errors="replace"))
    else:
        buffer.write(data)
        buffer.flush()


def _write_stream(path: Path, data: bytes) -> None:
    """Write through a FIFO or a character device: opened, never created or replaced."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _why(path, exc) from None
    try:
        st = os.fstat(fd)
        if not (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)):
            raise OutputError(f"{path} changed while it was being opened", "try again")
        _write_all(fd, data)
    except OSError as exc:
        raise _why(path, exc) from None
    finally:
        os.close(fd)


def _check_link_owner(link: Path) -> None:
    """Follow a symlink only if it is the user's or its directory owner's, as Linux's
    protected_symlinks does in /tmp: a link another user planted in a shared directory
    (``/tmp/motion.md -> ~/.bashrc``) must not aim a command's output at the user's files."""
    if not hasattr(os, "getuid"):
        return
    try:
        owner = os.lstat(link).st_uid
        folder = os.stat(link.parent if str(link.parent) else Path(".")).st_uid
    except OSError:
        return
    if owner not in (os.getuid(), folder):
        raise OutputError(f"{link} is a symlink another user made",
                          "write to a path of your own")


def _write_descriptor(path: Path, data: bytes) -> None:
    """Write to the descriptor /dev/stdout (and the like) names, where it already points."""
    fd = _descriptor(path)
    assert fd is not None
    if fd == 1:
        write_stdout(data)
        return
    if fd == 2:
        sys.stderr.flush()
    try:
        _write_all(fd, data)
    except OSError as exc:
        raise _why(path, exc) from None


def _new_mode(kind: int, requested: int | None = None) -> int:
    """A new file's mode: what it asks for (default ``kind``), less the umask."""
    return _default_mode(kind if requested is None else requested)


def write_atomic(path: Path | str, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` whole or not at all (see the module's rules).

    ``mode`` is what a new file asks for (default 0666); the umask is applied to it.
    """
    import tempfile  # here, not at start-up: most commands write no file

    if is_stdout(path):
        write_stdout(data)
        return
    path = Path(path)
    kind = output_kind(path)
    if kind == "stream":
        _write_stream(path, data)
        return
    if kind == "descriptor":
        _write_descriptor(path, data)
        return
    if path.is_symlink():  # the file it points to is replaced; the link stays a link
        _check_link_owner(path)
        path = Path(os.path.realpath(path))
        kind = output_kind(path)
        if kind == "stream":
            _write_stream(path, data)
            return
    parent = path.parent if str(path.parent) else Path(".")
    check_writable_dir(parent)
    clear_stale(parent)
    owner: tuple[int, int] | None = None
    final_mode = _new_mode(0o666, mode)
    if kind == "file":
        with contextlib.suppress(OSError):
            old = os.stat(path)
            final_mode = stat.S_IMODE(old.st_mode)
            owner = (old.st_uid, old.st_gid)
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.{os.getpid()}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise _why(path, exc) from None
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
            if owner is not None and hasattr(os, "fchown") and os.geteuid() == 0:
                with contextlib.suppress(OSError):  # root writing a user's file keeps it theirs
                    os.fchown(fd, *owner)
            os.fchmod(fd, final_mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        _discard([tmp])
        raise _why(path, exc) from None
    except BaseException:
        _discard([tmp])
        raise


def _default_mode(kind: int) -> int:
    """The mode a plain open/mkdir would give under the user's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return kind & ~umask


def _write_new(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        _write_all(fd, data)
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
    import shutil
    import tempfile

    directory = Path(directory)
    for name in files:
        if name in ("", ".", "..") or os.sep in name or (os.altsep and os.altsep in name):
            raise OutputError(f"'{name}' is not a file name")
    parent = directory.parent if str(directory.parent) else Path(".")
    try:
        dir_stat: os.stat_result | None = os.stat(directory)
    except FileNotFoundError:
        dir_stat = None
    except OSError as exc:
        raise _why(directory, exc) from None
    _refuse_store(directory, dir_stat)
    if dir_stat is not None:
        if not stat.S_ISDIR(dir_stat.st_mode):
            raise OutputError(f"{directory} is a file, not a directory", "choose another path")
        _write_into(directory, files)
        return
    check_writable_dir(parent)
    clear_stale(parent)
    try:
        staging = tempfile.mkdtemp(dir=parent, prefix=f".{directory.name}.{os.getpid()}.",
                                   suffix=".tmp")
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
        raise _why(directory, exc) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_into(directory: Path, files: dict[str, bytes]) -> None:
    check_writable_dir(directory)
    clear_stale(directory)
    for name in files:  # every target a regular file or none yet, and none the store
        if output_kind(directory / name) == "stream":
            raise OutputError(f"{directory / name} is not a regular file",
                              "remove it or write the letters to another directory")
    staged: list[tuple[str, Path]] = []
    new_mode = _default_mode(0o666)
    pid = os.getpid()
    try:
        for name, data in files.items():
            target = directory / name
            try:
                file_mode = stat.S_IMODE(os.stat(target).st_mode)
            except FileNotFoundError:
                file_mode = new_mode
            tmp = os.path.join(directory, f".{name}.{pid}.{os.urandom(4).hex()}.tmp")
            staged.append((tmp, target))
            _write_new(tmp, data, file_mode)
            os.chmod(tmp, file_mode)  # os.open applied the umask to an existing file's mode
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp for tmp, _ in staged)
        raise _why(directory, exc) from None
    except BaseException:
        _discard(tmp for tmp, _ in staged)
        raise


def _discard(paths: Iterable[str]) -> None:
    """Remove temporary files, some of which were never created (or cannot be named)."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as alive)."""
    if pid <= 0:
        return True  # not a process id we write; leave it alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True
    return True


def clear_stale(folder: Path) -> list[str]:
    """Remove our temporary files and staging directories in ``folder`` whose process
    is gone (a command killed before it could clean up). Returns the names removed.

    Only names of our pattern, owned by this user, whose pid is not a running
    process: a parallel run's staging directory is never touched.
    """
    import shutil

    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    me = os.getpid()
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        match = _STAGING.match(entry.name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid == me or _alive(pid):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if uid is not None and st.st_uid != uid:
                continue
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(entry.name)
    return removed


# How much each kind of input file may hold: far above any real one (the bundled pack
# is 70 KB, the EP's full list of MEPs 0.3 MB), far below what exhausts a laptop.
PACK_LIMIT = 100_000_000
CSV_LIMIT = 50_000_000
MEP_LIST_LIMIT = 50_000_000
NOTE_LIMIT = 1_000_000


def check_input(path: str | Path, *, limit_bytes: int, what: str = "file") -> None:
    """Refuse, before anything opens it, an input that is not a regular file or is larger
    than ``limit_bytes``: ``/dev/zero`` would exhaust memory and a FIFO with no writer
    would hang. For readers that open the file themselves; ``read_input`` does this too."""
    name = os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", path=name, hint=f"check the name of the {what}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"cannot read the {what} ({reason})", path=name) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"is a directory, not a {what}", path=name,
                         hint="give the name of a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError("is not a regular file (a device, a FIFO or a socket)",
                         path=name, hint=f"save the {what} to a file and give its name")
    if st.st_size > limit_bytes:
        raise InputError(f"is too large for a {what} ({st.st_size:,} bytes; "
                         f"at most {limit_bytes:,})", path=name)


def read_input(path: str | Path, *, limit_bytes: int, what: str = "file",
               allow_stdin: bool = False) -> str:
    """The text of an input file: a regular file (or ``-`` for standard input where a
    command documents it), at most ``limit_bytes``, in UTF-8 (a BOM is dropped).

    A FIFO, a device or a directory is refused before it is opened (``/dev/zero``
    would exhaust memory, a FIFO with no writer would hang); the size is capped while
    reading too, since a file can grow after it was looked at. Every failure is an
    InputError naming the file (and the line, for bytes that are not UTF-8).
    """
    if allow_stdin and os.fspath(path) == STDOUT:
        stdin = sys.stdin
        raw = stdin.buffer.read(limit_bytes + 1) if hasattr(stdin, "buffer") else \
            stdin.read(limit_bytes + 1).encode("utf-8")
        name = "standard input"
    else:
        name = os.fspath(path)
        check_input(path, limit_bytes=limit_bytes, what=what)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise InputError(f"cannot read the {what} ({exc.strerror})", path=name) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since it was looked at
                raise InputError("is not a regular file", path=name)
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(limit_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read the {what} ({exc.strerror})", path=name) from None
        finally:
            os.close(fd)
    if len(raw) > limit_bytes:
        raise InputError(f"is too large for a {what} (more than {limit_bytes:,} bytes)",
                         path=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 text (byte {exc.start + 1})", path=name, line=line,
                         hint="save it as UTF-8") from None
