"""CAMPAIGN_PROFILE: a cProfile file from the real entry point, which leaves with os._exit
(so ``python -m cProfile -m campaign`` could not write one)."""

from __future__ import annotations

import os
import pstats
import subprocess
import sys
from pathlib import Path


def run(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "campaign", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **env})


def test_a_profile_file_appears_and_names_the_command(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "prof.out"
    done = run(db_path, {"CAMPAIGN_PROFILE": str(out)}, "prisoners", "list")
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    stats = pstats.Stats(str(out))
    functions = {(Path(file).name, name) for file, _, name in stats.stats}  # type: ignore[attr-defined]
    assert ("prisoners.py", "list_") in functions  # the command itself ran under the profiler
    assert stats.total_calls > 1000  # type: ignore[attr-defined]


def test_a_failed_command_is_profiled_and_keeps_its_status(db_path: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "prof.out"
    done = run(db_path, {"CAMPAIGN_PROFILE": str(out)}, "prisoners", "show", "nobody-at-all")
    assert done.returncode == 1
    assert out.is_file()


def test_an_unwritable_profile_is_one_line_and_the_command_succeeds(db_path: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "prof.out"
    done = run(db_path, {"CAMPAIGN_PROFILE": str(out)}, "prisoners", "list")
    assert done.returncode == 0
    assert not out.exists()
    assert done.stderr.count("\n") == 1 and "cannot write the profile" in done.stderr


def test_no_profile_without_the_variable(db_path: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CAMPAIGN_PROFILE"}
    cwd = tmp_path / "here"
    cwd.mkdir()
    done = subprocess.run([sys.executable, "-m", "campaign", "--db", str(db_path), "prisoners",
                           "list"], capture_output=True, text=True, timeout=120, check=False,
                          cwd=cwd, env=env)
    assert done.returncode == 0
    assert list(cwd.iterdir()) == []
