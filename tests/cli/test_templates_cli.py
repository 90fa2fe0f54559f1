"""campaign templates list|show|copy."""

from __future__ import annotations

from pathlib import Path


def test_list_marks_user_templates(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("templates", "list", "--format", "csv")
    assert r.exit_code == 0
    assert "resolution.md.j2,built-in," in r.stdout and "picket.typ,built-in," in r.stdout
    (tmp_path / "resolution.md.j2").write_text("# mine\n", encoding="utf-8")
    r = cli("templates", "list", "--templates", str(tmp_path), "--format", "csv")
    assert f"resolution.md.j2,user,{tmp_path / 'resolution.md.j2'}" in r.stdout


def test_show_source_and_variables(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("templates", "show", "resolution.md.j2")
    assert r.exit_code == 0, r.stderr
    assert "{{ voice }} notes:" in r.stdout
    assert "the document provides:" in r.stdout
    assert "notes.groups[]: role, label, description, clause, reported, cite" in r.stdout
    assert "the template uses:" in r.stdout and "demands" in r.stdout
    only = cli("templates", "show", "picket.typ", "--source-only").stdout
    assert only.startswith("// The picket sheet") and "provides" not in only


def test_show_unknown_suggests(error_line, cli) -> None:  # type: ignore[no-untyped-def]
    line = error_line(cli("templates", "show", "resolution.md"))
    assert "resolution.md.j2" in line


def test_copy_refuses_to_overwrite(error_line, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("templates", "copy", "picket.md.j2", str(tmp_path))
    assert r.exit_code == 0, r.stderr
    copied = tmp_path / "picket.md.j2"
    assert "Sheet prepared on" in copied.read_text(encoding="utf-8")
    copied.write_text("# edited\n", encoding="utf-8")
    assert "already exists" in error_line(cli("templates", "copy", "picket.md.j2", str(tmp_path)))
    assert copied.read_text(encoding="utf-8") == "# edited\n"
    assert cli("templates", "copy", "picket.md.j2", str(tmp_path), "--force").exit_code == 0
    assert "Sheet prepared on" in copied.read_text(encoding="utf-8")
    # the copy is used: edit it and print
    copied.write_text("# {{ title or 'Our sheet' }}\n", encoding="utf-8")
    r = cli("prisoners", "print", "--templates", str(tmp_path))
    assert r.stdout == "# Our sheet\n"


def test_copy_to_missing_dir_makes_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The README's `templates copy resolution.md.j2 my-templates/` (issue 20): made."""
    r = cli("templates", "copy", "picket.typ", str(tmp_path / "none") + "/")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "none" / "picket.typ").is_file()
    assert (tmp_path / "none").stat().st_mode & 0o077 == 0


def test_copy_under_a_missing_parent(error_line, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    line = error_line(cli("templates", "copy", "picket.typ", str(tmp_path / "no" / "ne")))
    assert "does not exist" in line and not (tmp_path / "no").exists()
