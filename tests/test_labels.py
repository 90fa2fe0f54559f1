"""campaign.labels: one rule for what a placard and a short post call for."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.labels import (
    call_for,
    held_recently,
    is_held,
    justice_slogan,
    unshown_letters,
)
from campaign.status import STATUSES

RULE = {
    "detained": "FREE",
    "imprisoned": "FREE",
    "on trial": "FREE",
    "charged": "DROP THE CHARGES AGAINST",
    "under investigation": "STOP THE CASE AGAINST",
    "dismissed": "REINSTATE",
    "died": "JUSTICE FOR",
    "released": "SOLIDARITY WITH",
    "summoned": "SOLIDARITY WITH",
    "in exile": "SOLIDARITY WITH",
}


@pytest.mark.parametrize(("status", "call"), sorted(RULE.items()))
def test_the_rule(status: str, call: str) -> None:
    assert call_for(status) == call


def test_every_status_has_a_call_and_only_the_held_are_freed() -> None:
    assert call_for(None) == "SOLIDARITY WITH"  # no report: no demand either way
    assert call_for("fined") == "SOLIDARITY WITH"
    for status in STATUSES:
        assert (call_for(status) == "FREE") == (status in ("detained", "imprisoned", "on trial"))
        assert is_held(status) == (call_for(status) == "FREE")


def _p(status: str, date: str) -> dict[str, str]:
    return {"name": f"{status} {date}", "status": status, "status_date": date}


def test_held_recently_boundary() -> None:
    """A report exactly lapse_years old has lapsed; a day younger has not."""
    day = dt.date(2017, 1, 15)
    people = [_p("imprisoned", "2014-01-15"), _p("imprisoned", "2014-01-16"),
              _p("charged", "2016-12-01"), _p("detained", "2017-01-16")]
    assert [p["status_date"] for p in held_recently(people, day, 3)] == ["2014-01-16"]


def test_held_recently_month_reports_count_from_their_first_day() -> None:
    people = [_p("imprisoned", "2014-01")]
    assert held_recently(people, dt.date(2016, 12, 31), 3)
    assert not held_recently(people, dt.date(2017, 1, 1), 3)


@given(st.integers(min_value=1, max_value=10), st.dates(dt.date(2000, 3, 1), dt.date(2090, 1, 1)),
       st.integers(min_value=0, max_value=5000))
def test_held_recently_is_the_window(years: int, day: dt.date, back: int) -> None:
    report = day - dt.timedelta(days=back)
    found = held_recently([_p("imprisoned", report.isoformat())], day, years)
    try:
        edge = day.replace(year=day.year - years)
    except ValueError:
        edge = day.replace(year=day.year - years, day=28)
    assert bool(found) == (report > edge)


def test_justice_slogan_and_unshown_letters() -> None:
    assert justice_slogan("Zhanaozen") == "Justice for Zhanaozen!"
    assert justice_slogan(None) is None
    assert unshown_letters("Roza Tuletaeva, Жаңаөзен, Ἀθῆναι") == []
    assert unshown_letters("王小明 Wang") == ["王", "小", "明"]


# -- short posts: "Free X!" only with the year, and only within the window --------------

SHORT = ("announce", "--kind", "picket", "--time", "12:00", "--city", "Dublin",
         "--length", "short")


def test_short_post_in_2026_calls_for_justice(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(*SHORT, "--date", "2026-12-16", "--as-of", "2026-12-02")
    assert r.exit_code == 0, r.stderr
    assert "Justice for Zhanaozen!" in r.stdout
    assert "Free " not in r.stdout


def test_short_post_within_the_window_names_the_year(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(*SHORT, "--date", "2016-12-16", "--as-of", "2016-12-02")
    assert r.exit_code == 0, r.stderr
    found = re.search(r"Free ([^!]+)!", r.stdout)
    assert found, r.stdout
    assert "Roza Tuletaeva" in found.group(1)
    assert found.group(1).endswith("(reported held in 2014)")
    assert "Justice for" not in r.stdout


def test_short_post_never_frees_a_charged_person(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(*SHORT, "--date", "2013-12-16", "--as-of", "2012-04-01",
            "--prisoner", "Zhanbolat Mamai", "--prisoner", "Ainur Kurmanov")
    assert r.exit_code == 0, r.stderr
    freed = re.search(r"Free ([^!]+)!", r.stdout)
    assert freed, r.stdout
    assert "Mamai" not in freed.group(1) and "Kurmanov" not in freed.group(1)


# -- placards: long names and letters the fonts lack -------------------------------------

def _add(cli, name: str, status: str = "imprisoned") -> None:  # type: ignore[no-untyped-def]
    assert cli("prisoners", "add", name, "--source", "socialistworld-2014-01").exit_code == 0
    assert cli("prisoners", "update", name, "--status", status, "--date", "2014-01",
               "--source", "socialistworld-2014-01").exit_code == 0


def _sizes(pdf: Path) -> list[tuple[str, float]]:
    """(text, font size) of each run on the first page, from the PDF's own text matrix."""
    from pypdf import PdfReader

    runs: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            runs.append((text.strip(), abs(size * tm[3] * cm[3]) or size))

    PdfReader(str(pdf)).pages[0].extract_text(visitor_text=visit)
    return runs


def test_a_very_long_name_is_cut_with_a_warning_and_keeps_the_call(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long = " ".join(["Abdrakhmanov"] * 37)  # 480 characters
    assert len(long) == 480
    _add(cli, long)
    out = tmp_path / "long.pdf"
    r = cli("prisoners", "print", "--placard", "--name", long, "--as-of", "2026-12-02",
            "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "480 characters" in r.stderr and "warning" in r.stderr
    sizes = _sizes(out)
    call = [size for text, size in sizes if text.startswith("FREE")]
    assert call and call[0] >= 40, sizes  # read from across the street
    text = " ".join(t for t, _ in sizes)
    assert text.count("ABDRAKHMANOV") <= 5 and "…" in text
    short = tmp_path / "short.pdf"
    assert cli("prisoners", "print", "--placard", "--name", "Roza Tuletaeva", "--as-of",
               "2026-12-02", "-o", str(short)).stderr.count("warning") == 0


def test_a_name_the_fonts_cannot_show_warns(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _add(cli, "王小明")
    for ext in ("pdf", "docx"):
        r = cli("prisoners", "print", "--placard", "--name", "王小明", "--as-of", "2026-12-02",
                "-o", str(tmp_path / f"p.{ext}"))
        assert r.exit_code == 0, r.stderr
        assert "cannot show" in r.stderr and "王小明" in r.stderr


def test_placards_follow_the_rule_for_every_status(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    names = {"Zhanbolat Mamai": "DROP THE CHARGES AGAINST ZHANBOLAT",
             "Ainur Kurmanov": "STOP THE CASE AGAINST AINUR",
             "Irina Umbetova": "REINSTATE IRINA",
             "Bolat Atabaev": "SOLIDARITY WITH BOLAT",
             "Roza Tuletaeva": "FREE ROZA"}
    out = tmp_path / "p.pdf"
    args = [a for n in names for a in ("--name", n)]
    r = cli("prisoners", "print", "--placard", *args, "--as-of", "2026-12-02", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(out)).pages]
    for page, start in zip(pages, names.values(), strict=True):
        assert page.startswith(start), page
    assert "charged, as reported in March 2012" in pages[0]
