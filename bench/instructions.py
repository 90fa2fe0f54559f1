#!/usr/bin/env python
"""This checkout against another revision, in instructions executed, run by hand.

    python bench/instructions.py [--against REV] [--format md|docx] [--runs N]

Why instructions: on a shared machine the time of the same command wanders by 10 %
or more from one run to the next, so a change worth 2 % is lost in paired timings.
Valgrind's callgrind counts the instructions a process executes, the same to within
~0.1 % from run to run, so it shows such a change (it is not the time: a cache miss or
a system call counts as little as an addition). Each tree runs the merge of 705
letters to MEPs (bench/fixtures.py's store, a fresh copy each run) to files in one
process (``CAMPAIGN_WORKERS=1``: the forked copy would be counted apart), with
``PYTHONHASHSEED=0`` (set and dict order move the count by ~1 %), under this
interpreter, and the table gives each count and their ratio.

Needs valgrind (``apt-get install valgrind``); ~40 s a run. REV (default HEAD) is
checked out in a temporary git worktree, removed at the end; the checkout is run as it
is, uncommitted changes included.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

# The tree's own package first on the path, whatever is installed.
ENTRY = ("import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'campaign'; "
         "from campaign.cli import main; main()")


def count(tree: Path, store: Path, work: Path, fmt: str, *, measure: bool = True) -> int:
    """The instructions one merge executes, from callgrind's summary (0 without
    ``measure``: a warm-up, which compiles the tree's byte code and templates into
    caches of its own, as a user's second run finds them)."""
    db = work / "run.db"
    shutil.copyfile(store, db)
    out = work / "letters"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "CAMPAIGN_DB": str(db), "CAMPAIGN_WORKERS": "1",
           "PYTHONHASHSEED": "0", "CAMPAIGN_CACHE": str(work / f"cache-{tree.name}")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    done = subprocess.run(
        [*(valgrind if measure else []), sys.executable, "-c", ENTRY, str(tree), "letter",
         "--to", "mep", "--sender", "Bench Sender", "--format", fmt, "-o", str(out)],
        env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or (measure and found is None):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"bench/instructions.py: the merge failed in {tree}: {tail}")
    return int(found.group(1)) if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="the revision to compare with")
    parser.add_argument("--format", default="md", choices=["md", "docx"])
    parser.add_argument("--runs", type=int, default=1, help="runs of each tree (1)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("bench/instructions.py: valgrind is not installed; "
              "install it with `apt-get install valgrind`", file=sys.stderr)
        return 1

    from fixtures import make_mep_store

    with tempfile.TemporaryDirectory(prefix="campaign-instructions-") as tmp:
        work = Path(tmp)
        other = work / "other"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach",
                               str(other), args.against], capture_output=True, text=True,
                              check=False)
        if made.returncode != 0:
            print(f"bench/instructions.py: cannot check out {args.against}: "
                  f"{made.stderr.strip()}", file=sys.stderr)
            return 1
        try:
            store = work / "fixture.db"
            make_mep_store(str(store)).close()
            for tree in (ROOT, other):
                count(tree, store, work, args.format, measure=False)
            counts: dict[str, list[int]] = {"this checkout": [], args.against: []}
            for _ in range(args.runs):  # interleaved, though the count hardly drifts
                counts["this checkout"].append(count(ROOT, store, work, args.format))
                counts[args.against].append(count(other, store, work, args.format))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(other)], capture_output=True, check=False)
    mine = statistics.median(counts["this checkout"])
    theirs = statistics.median(counts[args.against])
    print(f"705 letters to MEPs, --format {args.format}, one process, instructions "
          f"(median of {args.runs}):")
    print(f"  this checkout  {mine:>15,.0f}")
    print(f"  {args.against:<13}  {theirs:>15,.0f}")
    print(f"  ratio          {mine / theirs:>15.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
