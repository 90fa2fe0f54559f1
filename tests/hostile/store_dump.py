"""How the hostile tests read a store back, to compare before and after: its SQL dump, or
its export and the files beside it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def state(db: Path) -> tuple[str, list[str]]:
    """What must not change: the store's export, and the files beside it."""
    from campaign.pack import dump_pack, export_pack
    from campaign.store import Store

    st_ = Store(db)
    try:
        text = dump_pack(export_pack(st_))
    finally:
        st_.close()
    files = sorted(p.name for p in db.parent.iterdir()
                   if not p.name.endswith(("-wal", "-shm")))
    return text, files
