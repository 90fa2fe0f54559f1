"""A coalition on one PostgreSQL store: members, rights enforced by PostgreSQL, one log.

Every test connects as each role in turn (the owner, a coordinator, branches)
against the private server of tests/pg_server.py.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campaign import coalition
from campaign.store import Store

SENDER = ["--sender", "Jane Doe", "--sender-org", "Unite Dublin Central",
          "--sender-address", "1 Main Street, Dublin 1"]


@pytest.fixture
def owner_url(cli: Any, pg_server: Any, _pg_meps: str) -> str:
    """A fresh coalition database (bundled campaign and MEPs); CAMPAIGN_DB as its owner
    (after ``cli``, whose store file it replaces)."""
    url = str(pg_server.url(pg_server.new_database(_pg_meps)))
    os.environ["CAMPAIGN_DB"] = url  # _isolated's monkeypatch restores it
    Store(url).close()
    return url


def as_member(pg_server: Any, url: str, name: str) -> str:
    db = url.rsplit("/", 1)[1]
    member = str(pg_server.url(db, name))
    os.environ["CAMPAIGN_DB"] = member
    return member


def add_member(cli: Any, pg_server: Any, name: str, kind: str,
               monkeypatch: pytest.MonkeyPatch) -> str:
    password = f"pw-{name}-Secret9"
    monkeypatch.setenv("CAMPAIGN_NEW_PASSWORD", password)
    r = cli("coalition", "add", name, "--as", kind)
    assert r.exit_code == 0, r.output
    pg_server.add_password(name, password)
    return password


@pytest.fixture
def members(cli: Any, pg_server: Any, owner_url: str,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A coordinator and two branches, added by the owner; name -> password. Roles belong
    to the whole server: they go at the end, for the next test's database."""
    added = {name: add_member(cli, pg_server, name, kind, monkeypatch)
             for name, kind in (("coord_a", "coordinator"), ("branch_dublin", "branch"),
                                ("branch_cork", "branch"))}
    yield added
    for name in added:
        try:
            pg_server.admin(f"DROP OWNED BY {name}", db=owner_url.rsplit("/", 1)[1])
        except Exception:  # noqa: S110 - removed by the test itself
            continue
        pg_server.admin(f"DROP ROLE IF EXISTS {name}")


def test_owner_adds_and_lists_members(cli: Any, pg_server: Any, owner_url: str,
                                      members: dict[str, str]) -> None:
    r = cli("coalition", "list", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(m["name"], m["kind"]) for m in rows] == [
        ("branch_cork", "branch"), ("branch_dublin", "branch"), ("coord_a", "coordinator")]
    for password in members.values():
        assert password not in r.output


def test_a_branch_cannot_change_facts_a_coordinator_can(
        cli: Any, pg_server: Any, owner_url: str, members: dict[str, str],
        error_line: Any) -> None:
    from conftest import snapshot

    as_member(pg_server, owner_url, "branch_dublin")
    before = snapshot(os.environ["CAMPAIGN_DB"])
    for args in (
        ["sources", "add", "--title", "Released", "--publisher", "Campaign Kazakhstan",
         "--date", "2016-08-01", "--id", "news-1"],
        ["prisoners", "update", "Roza Tuletaeva", "--status", "released",
         "--date", "2016-08-01", "--source", "socialistworld-2014-01"],
    ):
        line = error_line(cli(*args))
        assert "needs a coordinator" in line, line
    assert snapshot(os.environ["CAMPAIGN_DB"]) == before
    # ... but it reads them.
    r = cli("prisoners", "list", "--format", "json")
    assert r.exit_code == 0 and "Roza Tuletaeva" in r.stdout

    as_member(pg_server, owner_url, "coord_a")
    r = cli("sources", "add", "--title", "Released", "--publisher", "Campaign Kazakhstan",
            "--date", "2016-08-01", "--id", "news-1")
    assert r.exit_code == 0, r.output
    r = cli("prisoners", "update", "Roza Tuletaeva", "--status", "released",
            "--date", "2016-08-01", "--source", "news-1")
    assert r.exit_code == 0, r.output


def test_a_branch_cannot_import_a_pack(cli: Any, pg_server: Any, owner_url: str,
                                       members: dict[str, str], tmp_path: Path,
                                       error_line: Any) -> None:
    pack = tmp_path / "pack.yaml"
    r = cli("export", "-o", str(pack))
    assert r.exit_code == 0, r.output
    as_member(pg_server, owner_url, "branch_cork")
    line = error_line(cli("import", str(pack)))
    assert "needs a coordinator" in line
    line = error_line(cli("import", "--replace", str(pack)))
    assert "needs a coordinator" in line
    # The facts saved before the replace went with it: nothing was replaced.
    assert not list(tmp_path.glob("data/campaign/*.before-replace-*"))


def test_branches_log_their_own_letters_and_read_everyones(
        cli: Any, pg_server: Any, owner_url: str, members: dict[str, str], tmp_path: Path,
        error_line: Any) -> None:
    as_member(pg_server, owner_url, "branch_dublin")
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
            "-o", str(tmp_path / "dublin"))
    assert r.exit_code == 0, r.output
    as_member(pg_server, owner_url, "branch_cork")
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
            "--sender", "Sean Murphy", "-o", str(tmp_path / "cork"))
    assert r.exit_code == 0, r.output
    log = json.loads(cli("outreach", "list", "--format", "json").stdout)
    by = {e["member"] for e in log}
    assert by == {"branch_dublin", "branch_cork"}
    assert all(e["created"].endswith("+00:00") for e in log)  # UTC, with its zone
    mine = next(e for e in log if e["member"] == "branch_cork")
    theirs = next(e for e in log if e["member"] == "branch_dublin")
    r = cli("outreach", "mark", str(mine["id"]), "sent")
    assert r.exit_code == 0, r.output
    line = error_line(cli("outreach", "mark", str(theirs["id"]), "sent"))
    assert "branch_dublin" in line and "own entries" in line
    log = {e["id"]: e for e in json.loads(cli("outreach", "list", "--format", "json").stdout)}
    assert log[theirs["id"]]["state"] == "drafted"
    assert log[mine["id"]]["state"] == "sent"
    # A coordinator may mark any member's letter.
    as_member(pg_server, owner_url, "coord_a")
    assert cli("outreach", "mark", str(theirs["id"]), "replied").exit_code == 0


def test_profiles_are_personal(cli: Any, pg_server: Any, owner_url: str,
                               members: dict[str, str]) -> None:
    as_member(pg_server, owner_url, "branch_dublin")
    r = cli("profile", "set", "--name", "Jane Doe", "--address", "1 Main Street, Dublin 1")
    assert r.exit_code == 0, r.output
    as_member(pg_server, owner_url, "branch_cork")
    r = cli("profile", "show", "--format", "json")
    assert r.exit_code == 0, r.output
    assert "Main Street" not in r.stdout
    # PostgreSQL hides the rows, not our code: a direct query sees only one's own.
    st = Store(os.environ["CAMPAIGN_DB"])
    try:
        assert st.rows("SELECT * FROM profile") == []
    finally:
        st.close()
    as_member(pg_server, owner_url, "branch_dublin")
    assert "Main Street" in cli("profile", "show", "--format", "json").stdout


def test_only_the_owner_adds_members(cli: Any, pg_server: Any, owner_url: str,
                                     members: dict[str, str], error_line: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    as_member(pg_server, owner_url, "coord_a")
    monkeypatch.setenv("CAMPAIGN_NEW_PASSWORD", "whatever-1")
    line = error_line(cli("coalition", "add", "sneaky", "--as", "coordinator"))
    assert "owner" in line


def test_remove_a_member_keeps_their_letters(cli: Any, pg_server: Any, owner_url: str,
                                             members: dict[str, str], tmp_path: Path,
                                             error_line: Any) -> None:
    as_member(pg_server, owner_url, "branch_dublin")
    assert cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
               "-o", str(tmp_path / "d")).exit_code == 0
    os.environ["CAMPAIGN_DB"] = owner_url
    r = cli("coalition", "remove", "branch_dublin")
    assert r.exit_code == 0, r.output
    log = json.loads(cli("outreach", "list", "--format", "json").stdout)
    assert log and {e["member"] for e in log} == {"branch_dublin"}
    as_member(pg_server, owner_url, "branch_dublin")
    line = error_line(cli("prisoners", "list"))
    assert "branch_dublin" in line or "password" in line or "member" in line


def test_coalition_on_sqlite_says_what_it_needs(cli: Any, error_line: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_NEW_PASSWORD", "x-secret-1")
    line = error_line(cli("coalition", "add", "someone", "--as", "branch"))
    assert "PostgreSQL" in line


def test_cases_are_shared_out(pg_server: Any, owner_url: str, members: dict[str, str]) -> None:
    """A member writing to an MEP another member wrote to takes a case not yet raised."""
    cases = ["roza-tuletaeva", "vadim-kuramshin", "vladimir-kozlov"]
    st = Store(as_member(pg_server, owner_url, "branch_dublin"))
    with st.transaction():
        first = coalition.choose_case(st, "mep-96668", cases)
        _log(st, "mep-96668", first)
    st.close()
    st = Store(as_member(pg_server, owner_url, "branch_cork"))
    with st.transaction():
        second = coalition.choose_case(st, "mep-96668", cases)
        note = coalition.coalition_note(st, "Seán Kelly", "mep-96668")
    st.close()
    assert first == "roza-tuletaeva" and second == "vadim-kuramshin"
    st = Store(as_member(pg_server, owner_url, "branch_dublin"))
    try:  # a re-run keeps its case, though another member has written since
        assert coalition.choose_case(st, "mep-96668", cases) == "roza-tuletaeva"
    finally:
        st.close()
    assert note == ("Seán Kelly: written to by 1 member in the last 30 days "
                    "(cases: roza-tuletaeva)")


def _log(st: Store, contact: str, case: str | None) -> None:
    from campaign import outreach

    outreach.record(st, [{"contact_id": contact, "document": "letter-mep",
                          "digest": outreach.digest(f"{st.member} {case}"), "path": None}])
    st.conn.execute('UPDATE outreach SET case_id = ? WHERE id = (SELECT max(id) FROM outreach)',
                    (case,))


def test_two_branches_at_once_each_letter_logged_once(
        pg_server: Any, owner_url: str, members: dict[str, str]) -> None:
    """Two members drafting to the same MEPs at the same moment: both succeed, each letter
    once, and no MEP is asked about the same case by both."""
    meps = [f"mep-{n}" for n in ("124984", "124986", "28115", "96668", "197490", "1294")]
    cases = ["roza-tuletaeva", "vadim-kuramshin", "vladimir-kozlov"]
    chosen: dict[str, dict[str, str | None]] = {}
    errors: list[BaseException] = []
    db = owner_url.rsplit("/", 1)[1]

    def draft(member: str) -> None:
        try:
            st = Store(pg_server.url(db, member))
            picks: dict[str, str | None] = {}
            with st.transaction():
                for mep in meps:
                    picks[mep] = coalition.choose_case(st, mep, cases)
                    _log(st, mep, picks[mep])
            st.close()
            chosen[member] = picks
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=draft, args=(m,))
               for m in ("branch_dublin", "branch_cork")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    st = Store(owner_url)
    try:
        rows = st.rows("SELECT member, contact_id FROM outreach")
    finally:
        st.close()
    assert len(rows) == 2 * len(meps)
    assert len({(r["member"], r["contact_id"]) for r in rows}) == 2 * len(meps)
    for mep in meps:
        assert chosen["branch_dublin"][mep] != chosen["branch_cork"][mep]


def test_paths_are_each_members_own(cli: Any, pg_server: Any, owner_url: str,
                                    members: dict[str, str], tmp_path: Path) -> None:
    from campaign import outreach

    as_member(pg_server, owner_url, "branch_dublin")
    out = tmp_path / "letters"
    assert cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
               "-o", str(out)).exit_code == 0
    written = sorted(str(p) for p in out.iterdir())
    st = Store(as_member(pg_server, owner_url, "branch_cork"))
    try:
        assert outreach.drafts_at(st, written) == {}  # cork's letters/ is not dublin's
    finally:
        st.close()
    st = Store(as_member(pg_server, owner_url, "branch_dublin"))
    try:
        assert outreach.drafts_at(st, written)
    finally:
        st.close()


def test_a_branch_announces_but_cannot_retitle_the_campaign(
        cli: Any, pg_server: Any, owner_url: str, members: dict[str, str],
        tmp_path: Path) -> None:
    as_member(pg_server, owner_url, "branch_dublin")
    out = tmp_path / "picket.ics"
    r = cli("announce", "--kind", "picket", "--date", "2026-12-16", "--time", "12:00",
            "--place", "Embassy of Kazakhstan", "--city", "London",
            "--timezone", "Europe/London", "-o", str(out))
    assert r.exit_code == 0, r.output
    st = Store(os.environ["CAMPAIGN_DB"])
    try:
        from campaign.errors import StoreError

        with pytest.raises(StoreError, match="coordinator"), st.transaction():
            st.set_meta("title", "Ours now")
    finally:
        st.close()


def test_a_merge_asks_each_mep_about_a_case_no_other_member_raised(
        cli: Any, pg_server: Any, owner_url: str, members: dict[str, str],
        tmp_path: Path) -> None:
    """Two branches write to the same Irish MEPs, one after the other, with the same
    sender name (so the same permutation of cases): the second branch's merge takes, for
    each MEP, a case the first did not raise with them, and says who wrote before."""
    as_member(pg_server, owner_url, "branch_dublin")
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
            "-o", str(tmp_path / "dublin"), "-f", "md")
    assert r.exit_code == 0, r.output
    as_member(pg_server, owner_url, "branch_cork")
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
            "-o", str(tmp_path / "cork"), "-f", "md")
    assert r.exit_code == 0, r.output
    assert "written to by 1 member in the last 30 days (cases: " in r.stderr
    st = Store(owner_url)
    try:
        rows = st.rows("SELECT contact_id, member, case_id FROM outreach ORDER BY id")
    finally:
        st.close()
    cases: dict[str, dict[str, str]] = {}
    for row in rows:
        cases.setdefault(row["contact_id"], {})[row["member"]] = row["case_id"]
    assert len(cases) >= 3 and all(len(by) == 2 for by in cases.values())
    for contact, by in cases.items():
        assert by["branch_dublin"] and by["branch_cork"], contact
        assert by["branch_dublin"] != by["branch_cork"], contact
    # A dry run (nothing logged) says it too, as of the cases it would take up.
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER, "--dry-run")
    assert r.exit_code == 0, r.output
    assert "written to by 1 member in the last 30 days (cases: " in r.stderr
    # --recent-days 0: the other branch's letters are not recent, so nothing is said
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER, "--recent-days", "0",
            "--dry-run")
    assert r.exit_code == 0, r.output
    assert "written to by" not in r.stderr


@pytest.mark.parametrize("output", ["cork", "cork.md"])
def test_cases_are_chosen_again_as_the_letters_are_logged(
        pg_server: Any, owner_url: str, members: dict[str, str], tmp_path: Path,
        output: str) -> None:
    """Two branches render letters to the same Irish MEPs before either logs them, with
    one sender (so one permutation of cases): both letters to each MEP take up the same
    case when rendered. The second to log deals again inside its transaction: each MEP
    gets a different case from each branch, and the files, the log and the report all
    hold the letters as dealt again."""
    from campaign.documents import letters as lib
    from campaign.formats import DocFormat

    db = owner_url.rsplit("/", 1)[1]
    dublin, cork = (Store(pg_server.url(db, m)) for m in ("branch_dublin", "branch_cork"))
    try:
        sender = lib.Sender("Jane Doe", org="Unite Dublin Central")
        first = lib.prepare(dublin, "mep", sender=sender, countries_=["Ireland"])
        second = lib.prepare(cork, "mep", sender=sender, countries_=["Ireland"])
        before = {ltr.contact_id: ltr.context["case"]["id"] for ltr in second}
        assert len(before) >= 3
        assert {ltr.contact_id: ltr.context["case"]["id"] for ltr in first} == before
        assert not any(ltr.coalition for ltr in second)  # nobody had written yet
        done = lib.commit(dublin, first, lib.plan_output(str(tmp_path / "dublin"),
                                                         DocFormat.md, len(first)),
                          sender=sender)
        assert [a is b for a, b in zip(done.written, first, strict=True)] == \
            [True] * len(first)  # nothing changed for the first to log
        target = tmp_path / output
        plan = lib.plan_output(str(target), DocFormat.md, len(second))
        again = lib.commit(cork, second, plan, sender=sender)
        after = {ltr.contact_id: ltr.context["case"]["id"] for ltr in again.written}
        assert after.keys() == before.keys()
        for contact, case in after.items():
            assert case and case != before[contact], contact
        # The report, as of the cases logged: each MEP, with the case Dublin raised.
        names = {str(ltr.contact_id): ltr.context["case"]["name"] for ltr in first}
        lines = [line for ltr in again.written for line in ltr.coalition]
        assert len(lines) == len(after)
        for ltr in first:
            assert (f"{ltr.recipient}: written to by 1 member in the last 30 days "
                    f"(cases: {names[str(ltr.contact_id)]})") in lines
        # The files hold the letters as dealt again.
        if target.is_dir():
            texts = [p.read_text(encoding="utf-8") for p in sorted(target.iterdir())]
            assert len(texts) == len(again.written)
            for ltr, text in zip(again.written, texts, strict=True):
                assert ltr.context["case"]["name"] in text
                assert text.encode("utf-8") == lib.encode_one(ltr, DocFormat.md, sender)
        else:
            assert target.read_bytes() == lib.encode_combined(again.written, DocFormat.md,
                                                              sender)
    finally:
        dublin.close()
        cork.close()
    st = Store(owner_url)
    try:
        rows = st.rows("SELECT member, contact_id, digest, case_id FROM outreach")
    finally:
        st.close()
    logged = {(r["member"], r["contact_id"]): (r["digest"], r["case_id"]) for r in rows}
    assert len(rows) == len(logged) == 2 * len(after)
    for ltr in again.written:
        assert logged[("branch_cork", ltr.contact_id)] == (ltr.digest,
                                                          ltr.context["case"]["id"])
        assert logged[("branch_dublin", ltr.contact_id)][1] == before[ltr.contact_id]


def test_a_case_raised_meanwhile_elsewhere_changes_only_the_report(
        pg_server: Any, owner_url: str, members: dict[str, str], tmp_path: Path) -> None:
    """Another member logs a letter to one of the MEPs between this merge's rendering and
    its logging, about a case this merge does not raise with them: no letter changes,
    and the merge's report, as of the letters logged, names that member's case."""
    from campaign.documents import letters as lib
    from campaign.formats import DocFormat

    db = owner_url.rsplit("/", 1)[1]
    dublin, cork = (Store(pg_server.url(db, m)) for m in ("branch_dublin", "branch_cork"))
    try:
        sender = lib.Sender("Jane Doe", org="Unite Dublin Central")
        drafts = lib.prepare(dublin, "mep", sender=sender, countries_=["Ireland"])
        target = drafts[-1]
        mine = target.context["case"]["id"]
        other = next(c for c in ("roza-tuletaeva", "vadim-kuramshin") if c != mine)
        with cork.transaction():
            _log(cork, str(target.contact_id), other)
        done = lib.commit(dublin, drafts, lib.plan_output(str(tmp_path / "d"), DocFormat.md,
                                                          len(drafts)), sender=sender)
    finally:
        dublin.close()
        cork.close()
    assert [ltr.digest for ltr in done.written] == [ltr.digest for ltr in drafts]
    assert all(a is b for a, b in zip(done.written[1:], drafts[1:], strict=True))
    lines = [line for ltr in done.written for line in ltr.coalition]
    assert len(lines) == 1 and lines[0].startswith(f"{target.recipient}: written to by 1 "
                                                   "member in the last 30 days (cases: ")
    assert not drafts[0].coalition  # rendered before Cork wrote


FOURTEEN_LU = [f"Mep{chr(65 + n)} Lux{chr(65 + n)}" for n in range(14)]


def _draft_at_once(pg_server: Any, owner_url: str, tmp_path: Path,
                   senders: tuple[tuple[str, str, str], ...]) -> tuple[list[Any], dict[str, str]]:
    """Two branches run `campaign letter` to the same 14 MEPs at the same moment (two
    processes); both must succeed. The log's rows for those MEPs, and each member's
    stderr. The two processes wait for each other between rendering their letters and
    logging them (CAMPAIGN_TEST_BARRIER, commit._test_barrier), so both render before
    either logs: the cases must be chosen again as the letters are logged."""
    import subprocess
    import sys

    st = Store(owner_url)
    try:
        with st.transaction():
            for n, name in enumerate(FOURTEEN_LU):
                st.add_contact({"id": f"mep-lu-{n}", "name": name, "kind": "mep",
                                "status": "current", "country": "Luxembourg",
                                "group": "Renew Europe Group"}, ["ep-meps"])
    finally:
        st.close()
    db = owner_url.rsplit("/", 1)[1]
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "CAMPAIGN_CACHE": str(tmp_path / "cache"),
           "CAMPAIGN_TEST_BARRIER": f"{barrier}:{len(senders)}"}
    runs = [subprocess.Popen(
        [sys.executable, "-m", "campaign", "--db", pg_server.url(db, member), "letter",
         "--to", "mep", "--country", "Luxembourg", "--sender", who, "--sender-org", org,
         "-o", str(tmp_path / member)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for member, who, org in senders]
    errs = {}
    for run, (member, _, _) in zip(runs, senders, strict=True):
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        errs[member] = err
    assert len(list(barrier.iterdir())) == len(senders)  # both waited at the barrier
    st = Store(owner_url)
    try:
        rows = st.rows("SELECT id, member, contact_id, digest, case_id FROM outreach "
                       "WHERE contact_id LIKE 'mep-lu-%' ORDER BY id")
    finally:
        st.close()
    return rows, errs


@pytest.mark.parametrize("senders", [
    (("branch_dublin", "Jane Doe", "Unite Dublin Central"),
     ("branch_cork", "Seán Murphy", "Cork Council of Trade Unions")),
    # One sender's name and branch in both: one permutation of cases, so every MEP's
    # two letters take up the same case when rendered.
    (("branch_dublin", "Jane Doe", "Unite Dublin Central"),
     ("branch_cork", "Jane Doe", "Unite Dublin Central")),
], ids=["two-senders", "one-sender"])
def test_two_branches_drafting_at_once_from_the_cli(
        pg_server: Any, owner_url: str, members: dict[str, str], tmp_path: Path,
        senders: tuple[tuple[str, str, str], ...]) -> None:
    """Issue 22's proof: two branches drafting to the same 14 MEPs at the same time:
    both succeed, 28 entries, each letter logged once, and each MEP asked about
    different cases by the two branches; the branch that logged second says so."""
    rows, errs = _draft_at_once(pg_server, owner_url, tmp_path, senders)
    assert len(rows) == 28
    assert len({(r["member"], r["contact_id"]) for r in rows}) == 28
    assert len({(r["contact_id"], r["digest"]) for r in rows}) == 28  # each letter once
    for member in ("branch_dublin", "branch_cork"):
        assert len(list((tmp_path / member).iterdir())) == 14
    cases = {(r["member"], r["contact_id"]): r["case_id"] for r in rows}
    for n in range(14):
        dublin = cases[("branch_dublin", f"mep-lu-{n}")]
        cork = cases[("branch_cork", f"mep-lu-{n}")]
        assert dublin and cork and dublin != cork, n
    # One transaction logs all of a merge's letters: the one that logged second...
    first, second = rows[0]["member"], rows[-1]["member"]
    assert {r["member"] for r in rows[:14]} == {first} != {second}
    # ...reports, for every MEP, that the first wrote to them (its merge had not seen it
    # when it rendered its letters); the first reports nothing.
    assert errs[second].count("written to by 1 member in the last 30 days (cases: ") == 14
    assert "written to by" not in errs[first]
