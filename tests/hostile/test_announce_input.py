"""Hostile input to `campaign announce`: record and user text stays text in every format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

BASE = ["announce", "--kind", "picket", "--date", "2026-12-16", "--time", "12:00",
        "--as-of", "2026-12-01"]
LINK = "[click](http://evil.example)"


def add_prisoner(cli: Any, name: str) -> None:
    assert cli("prisoners", "add", name, "--source", "socialistworld-2014-01").exit_code == 0
    assert cli("prisoners", "update", name, "--status", "imprisoned", "--date", "2014-01",
               "--source", "socialistworld-2014-01").exit_code == 0


@pytest.mark.parametrize("length", ["short", "medium", "long"])
def test_a_prisoner_named_like_a_link_is_no_link_in_html(cli: Any, tmp_path: Path,
                                                        length: str) -> None:
    add_prisoner(cli, LINK)
    out = tmp_path / "a.html"
    r = cli(*BASE, "--prisoner", LINK, "--length", length, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "<a " not in html and "href=" not in html
    if length != "short":
        assert LINK in html


@pytest.mark.parametrize("option", ["--place", "--city", "--organiser", "--contact", "--quote"])
def test_user_text_is_no_markup(cli: Any, tmp_path: Path, option: str) -> None:
    hostile = "<script>alert(1)</script> **bold** [x](http://evil.example) # ## |a|b|"
    out = tmp_path / "a.html"
    r = cli(*BASE, option, hostile, "--length", "long", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "<a " not in html and "<strong>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [x](http://evil.example)" in html
    assert "<table" not in html and html.count("<h1>") == 1


def test_typst_markup_in_the_place_is_text_in_the_pdf(cli: Any, tmp_path: Path) -> None:
    from pypdf import PdfReader

    odd = "#set page(width: 1cm) $x$ ] [* Жаңаөзен"
    out = tmp_path / "a.pdf"
    r = cli(*BASE, "--place", odd, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(out)).pages).split())
    assert "#set page(width: 1cm) $x$ ] [* Жаңаөзен" in text


def test_newlines_in_options_do_not_break_a_short_post(cli: Any) -> None:
    r = cli(*BASE, "--place", "Embassy\n\n# of Kazakhstan", "--organiser", "Unite\r\nLondon",
            "--length", "short")
    assert r.exit_code == 0, r.stderr
    post = r.stdout.strip()
    assert "\n" not in post and "Embassy \\# of Kazakhstan" in post
    assert "Called by Unite London." in post


def test_calendar_description_has_no_ids_or_file_names(cli: Any, tmp_path: Path) -> None:
    import vobject

    out = tmp_path / "a.ics"
    r = cli(*BASE, "--organiser", "Unite", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    description = vobject.readOne(out.read_text(encoding="utf-8")).vevent.description.value
    assert "15th anniversary" in description
    for internal in (".txt", "greens-efa-2012-03-07", "socialistworld-2014-01",
                     "zhanaozen-shootings", "release-political-prisoners"):
        assert internal not in description


def test_a_huge_contact_is_refused_in_a_short_post_not_cut(cli: Any) -> None:
    r = cli(*BASE, "--contact", "call " + "0" * 400, "--length", "short")
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "shorten --contact" in r.stderr
    assert r.stdout == ""
