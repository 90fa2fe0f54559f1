"""The outreach log: writing the files and logging each draft, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign.documents.letters.compose import Letter, Sender, prepare
from campaign.documents.letters.layout import (
    EXTENSIONS,
    Plan,
    encode_combined,
    encode_one,
    file_names,
    plan_output,
)
from campaign.errors import (
    UsageError,
)
from campaign.formats import DocFormat
from campaign.store import Store


@dataclass
class Result:
    written: list[Letter]
    skipped: list[Letter]
    paths: list[Path]
    logged: int


def duplicates(store: Store, letters: Sequence[Letter]) -> set[tuple[str, str]]:
    from campaign.outreach import already_drafted

    return already_drafted(store, ((ltr.contact_id, ltr.digest) for ltr in letters
                                   if ltr.contact_id))


def commit(store: Store, letters: Sequence[Letter], plan: Plan, *, sender: Sender | None = None,
           force: bool = False, progress: Callable[[int], None] | None = None) -> Result:
    """Write the files and log them, all or nothing. Letters already drafted (same text to
    the same contact) are skipped unless ``force``."""
    from campaign.files import write_atomic, write_directory
    from campaign.outreach import record

    if plan.directory is None and plan.file is None:
        raise UsageError("commit needs a directory or a file")
    dup = set() if force else duplicates(store, letters)
    skipped = [ltr for ltr in letters if (ltr.contact_id, ltr.digest) in dup]
    todo = [ltr for ltr in letters if (ltr.contact_id, ltr.digest) not in dup]
    if not todo:
        return Result([], skipped, [], 0)
    files: dict[str, bytes] = {}
    combined = b""
    entries = []
    if plan.directory is not None:
        for n, (ltr, fname) in enumerate(zip(todo, file_names(todo, plan.fmt), strict=True),
                                         start=1):
            files[fname] = encode_one(ltr, plan.fmt, sender)
            if ltr.contact_id:
                entries.append({"contact_id": ltr.contact_id, "document": f"letter-{ltr.kind}",
                                "digest": ltr.digest, "path": str(plan.directory / fname)})
            if progress:
                progress(n)
        paths = [plan.directory / fname for fname in files]
    else:
        assert plan.file is not None
        combined = encode_combined(todo, plan.fmt, sender)
        entries = [{"contact_id": ltr.contact_id, "document": f"letter-{ltr.kind}",
                    "digest": ltr.digest, "path": str(plan.file)}
                   for ltr in todo if ltr.contact_id]
        paths = [plan.file]
        if progress:
            progress(len(todo))
    # The log and the files together: a failed write rolls the log back.
    with store.transaction():
        record(store, entries)
        if plan.directory is not None:
            write_directory(plan.directory, files)
        elif plan.file is not None:
            write_atomic(plan.file, combined)
    return Result(todo, skipped, paths, len(entries))


def mail_merge(store: Store, to: str, output: str | None, *, sender: Sender,
               fmt: DocFormat | None = None, force: bool = False,
               **selection: Any) -> Result | bytes:
    """The whole merge as a library call: letters to files (logged), or the text for stdout."""
    plan_fmt = fmt
    if output and fmt is None:
        ext = Path(output).suffix.lower().lstrip(".")
        plan_fmt = EXTENSIONS.get(ext)
    letters = prepare(store, to, sender=sender, fmt=plan_fmt or DocFormat.md, **selection)
    plan = plan_output(output, fmt, len(letters))
    if plan.directory is None and plan.file is None:
        return encode_combined(letters, plan.fmt, sender)
    return commit(store, letters, plan, sender=sender, force=force)


def who_gets_what(store: Store, letters: Iterable[Letter], plan: Plan) -> list[dict[str, Any]]:
    """The dry run's table: recipient, address, email, file, and whether it is new."""
    letters = list(letters)
    dup = duplicates(store, letters)
    fnames = (file_names(letters, plan.fmt) if plan.directory is not None
              else [plan.target] * len(letters))
    return [{
        "n": n, "recipient": ltr.recipient, "kind": ltr.kind,
        "address": ", ".join(ltr.context["recipient"]["address_lines"][1:]),
        "email": ltr.email or "", "salutation": ltr.context["salutation"],
        "file": (str(plan.directory / f) if plan.directory is not None else f),
        "state": "already drafted" if (ltr.contact_id, ltr.digest) in dup else "new",
    } for n, (ltr, f) in enumerate(zip(letters, fnames, strict=True), start=1)]
