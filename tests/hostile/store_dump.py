"""The one way the hostile tests read a store back: its SQL dump, to compare before and after."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
