#!/usr/bin/env python
"""The mail merge of 705 letters on SQLite and on a local PostgreSQL, run by hand.

    python bench/postgres.py [--runs N]

Needs Debian's PostgreSQL binaries (apt-get install postgresql) and psycopg: it
starts a private cluster (tests/pg_server.py) on a free loopback port, stopped at
the end. Each run is a fresh child process (start-up included) on a fresh copy of
the store of the bundled campaign plus 705 synthetic MEPs (bench/fixtures.py):
a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (not timed).
The table gives the median wall time of each and their ratio; the target is a
PostgreSQL merge within 2x SQLite's. Measured, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "tests"), str(HERE)]

TARGET = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from fixtures import make_mep_store
    from pg_server import Server, binaries

    bindir = binaries()
    if bindir is None:
        print("PostgreSQL is not installed (apt-get install postgresql)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="campaign-bench-pg-"))
    server = Server(bindir)
    server.start()
    os.environ["PGPASSFILE"] = str(server.pgpass)
    try:
        template_file = work / "template.db"
        make_mep_store(template_file).close()
        template_db = server.new_database()
        make_mep_store(server.url(template_db)).close()
        times: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
        for n in range(args.runs + 1):  # the first round warms up
            for engine in times:
                run = work / f"{engine}-{n}"
                run.mkdir()
                if engine == "sqlite":
                    db = str(run / "store.db")
                    shutil.copy2(template_file, db)
                else:
                    db = server.url(server.new_database(template_db))
                cmd = [sys.executable, "-m", "campaign", "letter", "--to", "mep",
                       "--sender", "Bench Sender", "--format", "md", "-o", str(run / "letters")]
                env = {**os.environ, "CAMPAIGN_DB": db, "CAMPAIGN_CACHE": str(work / "cache")}
                start = time.perf_counter()
                done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                took = time.perf_counter() - start
                if done.returncode:
                    print(f"{engine}: {done.stderr.strip()}", file=sys.stderr)
                    return 1
                files = len(list((run / "letters").iterdir()))
                if files < 705:
                    print(f"{engine}: wrote {files} letters, not 705", file=sys.stderr)
                    return 1
                if n:
                    times[engine].append(took)
        lite = statistics.median(times["sqlite"])
        pg = statistics.median(times["postgresql"])
        ratio = pg / lite
        print(f"705 letters, median of {args.runs} runs (start-up included)")
        print(f"  SQLite      {lite:6.2f} s")
        print(f"  PostgreSQL  {pg:6.2f} s   {ratio:.2f}x SQLite  "
              f"(target <= {TARGET:.0f}x: {'PASS' if ratio <= TARGET else 'MISS'})")
        return 0
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
