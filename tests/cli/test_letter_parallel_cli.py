"""`campaign letter` of a merge big enough to share with a forked copy (campaign.parallel):
on a terminal, with its progress bar, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from campaign import parallel
from campaign.store import Store

pytestmark = [pytest.mark.engines,
              pytest.mark.skipif(not parallel.machine_allows(), reason="no fork, or one core")]

N = 80


def test_a_big_merge_on_a_terminal_shares_its_work_and_logs_every_letter(
        cli, db_path: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        forkable: None, mep_store: Any) -> None:
    from docx import Document

    import campaign.cli.letters as letters_cli

    mep_store(db_path, n=N, bundled=False).close()  # beside the bundled campaign there
    monkeypatch.setattr(letters_cli, "_show_progress", lambda ctx, n: True)
    asked: list[tuple[int, bool]] = []
    can_share = parallel.can_share
    before = threading.active_count()  # the session's HTTP test server may run one

    def spy(n: int, least: int = parallel.LEAST) -> bool:
        asked.append((threading.active_count() - before, can_share(n, least)))
        return asked[-1][1]

    monkeypatch.setattr(parallel, "can_share", spy)
    out = tmp_path / "letters"
    r = cli("letter", "--to", "mep", "--sender", "Jane Doe", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    files = sorted(out.glob("*.docx"))
    # rendering, then the Word files: both shared, the progress bar drawing no thread
    assert asked == [(0, True), (0, True)], asked
    st = Store(db_path)
    try:
        rows = st.conn.execute("SELECT contact_id, sketch, case_id FROM outreach").fetchall()
    finally:
        st.close()
    assert len(files) == len(rows) == N
    assert all(row[1] and row[2] for row in rows)  # each row has its sketch and case
    for f in (files[0], files[-1]):  # the copy's files open, and say whom they are to
        text = "\n".join(p.text for p in Document(str(f)).paragraphs)
        assert "Test Member" in text
    assert f"wrote {len(files)} letter(s)" in r.stdout
