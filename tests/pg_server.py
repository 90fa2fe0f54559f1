"""A private PostgreSQL cluster for the tests: Debian's binaries, a temporary directory,
a free loopback port, password authentication; stopped at the end of the run.

PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres``
OS user (the Debian package makes it). Outside CI, tests that need it are skipped
when PostgreSQL is not installed; under CI=true they fail instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

OWNER = "coalition_owner"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian keeps them by version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A running cluster: a superuser ``postgres`` and a database owner ``coalition_owner``
    (CREATEROLE, not a superuser: it owns the campaign databases), both with passwords."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="campaign-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.passwords = {"postgres": secrets.token_urlsafe(12),
                          OWNER: secrets.token_urlsafe(12)}
        self.pgpass = self.dir / "pgpass"
        self._user = None if os.geteuid() else pwd.getpwnam("postgres")
        self._count = 0

    def _run(self, *args: str) -> None:
        kwargs: dict = {"check": True, "capture_output": True, "text": True}
        if self._user:
            kwargs["user"] = self._user.pw_uid
            kwargs["group"] = self._user.pw_gid
        subprocess.run(args, **kwargs)

    def start(self) -> None:
        os.chmod(self.dir, 0o755)
        if self._user:
            os.chown(self.dir, self._user.pw_uid, self._user.pw_gid)
        pwfile = self.dir / "pw"
        pwfile.write_text(self.passwords["postgres"] + "\n")
        if self._user:
            os.chown(pwfile, self._user.pw_uid, self._user.pw_gid)
        os.chmod(pwfile, 0o600)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                  "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C", "--no-sync")
        pwfile.unlink()
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.dir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                  "-l", str(self.dir / "log"), "-o", opts, "start")
        lines = [f"127.0.0.1:{self.port}:*:{u}:{p}" for u, p in self.passwords.items()]
        self.pgpass.write_text("\n".join(lines) + "\n")
        os.chmod(self.pgpass, 0o600)
        self.admin(f"CREATE ROLE {OWNER} LOGIN CREATEROLE PASSWORD "
                   f"'{self.passwords[OWNER]}'")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db: str, user: str = OWNER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def admin(self, *statements: str, db: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(db, "postgres"), autocommit=True,
                             password=self.passwords["postgres"]) as conn:
            for s in statements:
                conn.execute(s)  # type: ignore[arg-type]

    def new_database(self, template: str | None = None) -> str:
        """A new empty database owned by the coalition's owner (or a copy of
        ``template``); its name."""
        self._count += 1
        name = f"campaign_{self._count}"
        copy = f" TEMPLATE {template}" if template else ""
        for attempt in range(50):
            try:
                self.admin(f"CREATE DATABASE {name} OWNER {OWNER}{copy}")
                return name
            except Exception as exc:  # a closed store's backend may still be leaving
                if "being accessed" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        return name

    def add_password(self, user: str, password: str) -> None:
        self.passwords[user] = password
        with self.pgpass.open("a") as f:
            f.write(f"127.0.0.1:{self.port}:*:{user}:{password}\n")


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return any(x.lower() in ("c.utf8", "c.utf-8") for x in out.split())
