"""The compiled-template cache: code from anyone else's cache file never runs.

A cache file is Python bytecode that runs outside the sandbox. A payload is
planted exactly where the cache keeps the bundled templates (proved by a first
test in which it does run, for a directory and files that are the user's own);
then the same payload in a cache another user could write to must not run: the
document is compiled afresh, correct, and one warning says so.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from store_dump import dump

from campaign.documents import templates as tpl

NOBODY = 65534


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tpl, "_warned", set())


def plant(cache: Path, marker: Path) -> list[Path]:
    """A payload in the cache file of every built-in template: it writes ``marker``."""
    cache.mkdir(mode=0o700, exist_ok=True)
    env = tpl._environment(None)
    keeper = tpl._compiled_cache()(cache, tpl._fingerprint(env))
    payload = compile(f"open({str(marker)!r}, 'a').write('ran\\n')\n", "<payload>", "exec")
    planted = []
    for name in sorted(p.name for p in tpl.builtin_dir().iterdir() if p.is_file()):
        source, filename, _ = env.loader.get_source(env, name)
        bucket = keeper.get_bucket(env, name, filename, source)
        bucket.code = payload
        keeper.set_bucket(bucket)
        planted.append(Path(keeper._get_cache_filename(bucket)))
    assert planted and all(p.exists() for p in planted)
    return planted


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "shared-cache"
    monkeypatch.setenv("CAMPAIGN_CACHE", str(path))
    return path


@pytest.fixture
def ready(cli: Any, db_path: Path) -> Path:
    assert cli("prisoners", "list").exit_code == 0
    return db_path


def test_the_planted_payload_runs_from_the_users_own_cache(cli: Any, ready: Path, cache: Path,
                                                           tmp_path: Path) -> None:
    """The control: the planting is right, so the cases below prove something."""
    marker = tmp_path / "ran"
    plant(cache, marker)
    cli("resolution")
    assert marker.exists()


def _resolution_without_payload(cli: Any, ready: Path, marker: Path) -> str:
    before = dump(ready)
    r = cli("resolution")
    assert r.exit_code == 0, r.stderr
    assert "This branch notes" in r.stdout
    assert not marker.exists(), "a planted cache file ran"
    assert dump(ready) == before
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaign: warning: not using the compiled")
    assert "Traceback" not in r.stderr
    return str(lines[0])


def test_a_cache_file_of_another_user_is_not_loaded(cli: Any, ready: Path, cache: Path,
                                                    tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for f in plant(cache, marker):
        os.chown(f, NOBODY, NOBODY)
    assert "belongs to another user" in _resolution_without_payload(cli, ready, marker)


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602])
def test_a_cache_file_others_can_write_is_not_loaded(cli: Any, ready: Path, cache: Path,
                                                     tmp_path: Path, mode: int) -> None:
    marker = tmp_path / "ran"
    for f in plant(cache, marker):
        f.chmod(mode)
    assert "other users can write" in _resolution_without_payload(cli, ready, marker)


@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o770, 0o702])
def test_a_cache_directory_others_can_write_is_not_used(cli: Any, ready: Path, cache: Path,
                                                        tmp_path: Path, mode: int) -> None:
    marker = tmp_path / "ran"
    plant(cache, marker)
    cache.chmod(mode)
    line = _resolution_without_payload(cli, ready, marker)
    assert "other users can write" in line and str(cache) in line


def test_a_cache_directory_of_another_user_is_not_used(cli: Any, ready: Path, cache: Path,
                                                       tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    plant(cache, marker)
    os.chown(cache, NOBODY, NOBODY)
    assert "belongs to another user" in _resolution_without_payload(cli, ready, marker)


def test_a_symlinked_cache_file_is_not_loaded(cli: Any, ready: Path, cache: Path,
                                              tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for f in plant(cache, marker):
        f.rename(elsewhere / f.name)
        f.symlink_to(elsewhere / f.name)
    r = cli("resolution")
    assert r.exit_code == 0 and not marker.exists()


def test_an_unsafe_cache_is_not_written_either(cli: Any, ready: Path, cache: Path) -> None:
    cache.mkdir()
    cache.chmod(0o1777)
    r = cli("resolution")
    assert r.exit_code == 0 and list(cache.iterdir()) == []


def test_a_mail_merge_warns_once(cli: Any, meps_db: Path, cache: Path, tmp_path: Path) -> None:
    cache.mkdir()
    cache.chmod(0o777)
    # (An organisation, so the letters need no `profile set --about` advice: issue 18.)
    r = cli("letter", "--to", "mep", "--country", "Ireland", "--sender", "Jane Doe",
            "--sender-org", "Unite Dublin Central",
            "--sender-address", "1 Main Street, Dublin 1", "-o", str(tmp_path / "l") + "/")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("warning") == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o777 and list(cache.iterdir()) == []
