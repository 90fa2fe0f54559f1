"""export / import / check, and the start-up commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign import __version__


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"campaign {__version__}"


def test_export_to_file_then_import_into_new_store(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pack.yaml"
    assert cli("export", "-o", str(out)).exit_code == 0
    first = out.read_text(encoding="utf-8")
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "new.db"))
    r = cli("import", str(out), "--replace")
    assert r.exit_code == 0, r.output
    assert cli("export").stdout == first


def test_failed_import_changes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = cli("export").stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(before.replace("published: '2012-03-07'", "published: '2012-03-77'", 1),
                   encoding="utf-8")
    r = cli("import", str(bad), "--replace")
    assert r.exit_code == 1
    assert "bad.yaml, line" in r.stderr and "not a day" in r.stderr
    assert cli("export").stdout == before


def test_export_to_missing_directory(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("export", "-o", str(tmp_path / "nope" / "pack.yaml"))
    assert r.exit_code == 1 and "does not exist" in r.stderr
    assert not (tmp_path / "nope").exists()


def test_check_is_clean_on_the_bundled_campaign(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("check")
    assert r.exit_code == 0, r.output
    assert "no problems found" in r.stdout


def test_check_finds_near_duplicates(cli) -> None:  # type: ignore[no-untyped-def]
    cli("prisoners", "add", "Roza Tuletayeva", "--source", "socialistworld-2014-01")
    r = cli("check", "--format", "json")
    assert "prisoners merge" in r.stdout


def test_corrupt_store_is_one_line(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db_path.write_bytes(b"garbage" * 1000)
    r = cli("prisoners", "list")
    assert r.exit_code == 1
    assert "not a usable campaign store" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_lazy_group_help_matches_each_group() -> None:
    """The root --help lists groups without importing them; the words must not drift."""
    from campaign.cli import GROUPS, load_group

    for name, (_, _, summary) in GROUPS.items():
        assert load_group(name).info.help == summary, name


def test_a_group_builds_only_the_command_asked_for() -> None:
    """`campaign prisoners list` converts one command, not the group's fifteen."""
    import typer.main

    from campaign.cli import GROUPS, lazy_group, load_group

    for name in GROUPS:
        group = lazy_group(name)
        names = list(group.commands)
        assert names, name
        assert group.get_command(None, "no-such-command") is None
        first = group.get_command(None, names[0])
        assert first is not None and first.name == names[0]
        assert list(group.commands._built) == [names[0]], name  # the others wait
        # Asking for them all (as --help does) gives what typer builds eagerly.
        eager = typer.main.get_group(load_group(name))
        assert {n: c.help for n, c in group.commands.items()} == {
            n: c.help for n, c in eager.commands.items()}, name


@pytest.mark.parametrize("args", [("prisoners", "--help"), ("prisoners", "list", "--help"),
                                  ("meps", "fetch", "--help"), ("templates", "--help")])
def test_group_help_is_plain_like_the_root(cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """One look for every help screen: click's plain sections, no rich panels."""
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    first = r.stdout.splitlines()[0]  # CliRunner calls the program "root"
    assert first.startswith("Usage: ") and f" {' '.join(args[:-1])} [OPTIONS]" in first
    assert "Options:" in r.stdout
    assert not set("╭╮╰╯│─") & set(r.stdout)


def test_root_commands_are_built_only_when_run_and_help_says_what_typer_would() -> None:
    import typer.main

    from campaign.cli import app, commands

    root = typer.main.get_command(app)
    assert list(root.commands._built) == []  # building the root converts none of them
    ctx = root.make_context("campaign", ["--help"], resilient_parsing=True)
    help_text = root.get_help(ctx)
    assert list(root.commands._built) == []  # nor does --help
    eager = typer.main.get_group(commands)
    assert set(root.commands) == set(eager.commands)
    limit = ctx.make_formatter().width - 18  # as format_commands
    for name, command in eager.commands.items():
        line = command.get_short_help_str(limit)
        assert f"  {name}" in help_text and line in help_text, name
        for width in (20, 45, 80, 200):
            assert root.commands.summary(name, width) == command.get_short_help_str(width)
    timeline = root.get_command(ctx, "timeline")
    assert timeline is not None and timeline.help == eager.commands["timeline"].help
    assert list(root.commands._built) == ["timeline"]  # running one builds that one


def test_root_help_lists_every_command(cli) -> None:  # type: ignore[no-untyped-def]
    from campaign.cli import GROUPS

    r = cli("--help")
    assert r.exit_code == 0
    for name in [*GROUPS, "resolution", "letter", "announce", "timeline", "export", "check"]:
        assert f"  {name} " in r.stdout, name


def test_closed_pipe_is_quiet(db_path: Path) -> None:
    """`campaign ... | head -1`: no traceback, no internal-error line."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "campaign", "sources", "show", "greens-efa-2012-03-07", "--text"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command (which takes ~0.3 s to start) writes anything
    err = proc.stderr.read().decode()
    proc.wait(timeout=30)
    assert "Traceback" not in err and "internal error" not in err


def test_an_unknown_demand_kind_is_refused_with_file_and_line(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from campaign.pack import bundled_path

    text = bundled_path().read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("    kind: accountability\n", "    kind: vengeance\n"),
                   encoding="utf-8")
    line = next(n for n, t in enumerate(bad.read_text().splitlines(), 1)
                if t == "    kind: vengeance")
    r = cli("import", str(bad))
    assert r.exit_code == 1
    [message] = r.stderr.strip().splitlines()
    assert f"bad.yaml, line {line}" in message and "demands.3.kind" in message


def test_a_pack_without_kinds_imports_with_inferred_kinds_and_a_warning(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import re as regex

    from campaign.pack import bundled_path

    text = bundled_path().read_text(encoding="utf-8")
    old = tmp_path / "old.yaml"
    old.write_text(regex.sub(r"\n    kind: (release|accountability|process|policy)\n", "\n",
                             text), encoding="utf-8")
    r = cli("import", str(old))
    assert r.exit_code == 0, r.stderr
    [warning] = [w for w in r.stderr.splitlines() if "warning" in w]
    assert "16 demand(s) have no kind" in warning
    listed = cli("demands", "list", "--format", "json").stdout
    import json

    kinds = {d["id"]: d["kind"] for d in json.loads(listed)}
    assert kinds["release-named-prisoners"] == "release"
    assert kinds["international-inquiry"] == "process"  # inferred as before kinds
