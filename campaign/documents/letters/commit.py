"""The outreach log: writing the files and logging each draft, all or nothing.

The log records letters, not files. The same letter is the same recipient and
the same text (the digest leaves the date out, so a letter drafted again on
another day is still the same letter); asking for it in another format or at
another path writes the file asked for and adds the path to the letter's one
entry. A new note or new facts make a new text, so a new letter and a new entry.
The check and the entry happen in one ``BEGIN IMMEDIATE`` transaction with the
files, so parallel runs cannot log one draft twice. The cases the letters take up
are settled in that transaction too (deal_again): a member who logged letters to
the same recipients since these were rendered has their cases avoided, and the
letters whose case changes are rendered again before they are logged and written.

A file already at a path the merge would write is replaced only if the log says
it holds the same letter; a different draft is never overwritten: the merge
stops, writes nothing, and says which file. Letters to prisoners and families
are not in the log (they are not contacts): where their file is already there
with other content, the new one gets a new name beside it, and the command says
so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
from campaign.errors import DraftExistsError, UsageError
from campaign.formats import DocFormat
from campaign.store import Store


@dataclass
class Result:
    written: list[Letter]
    # Letters the log already held (same recipient, same text): their file was
    # written and its path added to their entry, but no second entry.
    skipped: list[Letter]
    paths: list[Path]
    logged: int
    # How many letters have no email address (eml drafts with no To).
    no_address: int = 0
    already: list[Letter] = field(default_factory=list)
    # Files already there with something else in them, and the new names used instead.
    renamed: list[tuple[Path, Path]] = field(default_factory=list)


def duplicates(store: Store, letters: Sequence[Letter]) -> set[tuple[str, str]]:
    from campaign.outreach import already_drafted

    return already_drafted(store, ((ltr.contact_id, ltr.digest) for ltr in letters
                                   if ltr.contact_id))


def _encode(letters: Sequence[Letter], plan: Plan, sender: Sender | None,
            progress: Callable[[int], None] | None) -> tuple[dict[str, bytes], bytes]:
    files: dict[str, bytes] = {}
    combined = b""
    if plan.directory is not None:
        # A file needs nothing from another: half of them encoded in a forked copy,
        # where a core is free (campaign.parallel), in the formats where a file costs
        # more than the fork (Markdown or text is the letter as it is). Typst starts
        # threads of its own, which a copy would not have: for PDFs, the fork comes
        # before any is typeset, and each process starts its own.
        from campaign.parallel import LEAST, split_map

        costly = plan.fmt in (DocFormat.docx, DocFormat.eml, DocFormat.pdf)
        encoded = split_map(lambda k: encode_one(letters[k], plan.fmt, sender), len(letters),
                            progress=progress, least=LEAST if costly else len(letters) + 1,
                            first_here=plan.fmt is not DocFormat.pdf)
        files = dict(zip(file_names(letters, plan.fmt), encoded, strict=True))
    else:
        combined = encode_combined(letters, plan.fmt, sender, progress=progress)
    return files, combined


def _check_targets(store: Store, letters: Sequence[Letter], plan: Plan,
                   files: dict[str, bytes], combined: bytes) -> dict[Path, Path]:
    """Refuse to replace a file that holds a different draft (or a file that is not
    a draft at all). A letter the log does not hold (to a prisoner or a family) whose
    file is already there with other bytes gets a new name beside it, returned as
    {path asked for: path used}: it may be the same letter made again, or another,
    and neither is lost."""
    from campaign.outreach import drafts_at

    if plan.directory is not None:
        if not plan.directory.exists():
            return {}  # a new directory: nothing in it to replace
        targets = [(plan.directory / name, [ltr], data)
                   for (name, data), ltr in zip(files.items(), letters, strict=True)]
    else:
        assert plan.file is not None
        targets = [(plan.file, list(letters), combined)]
    # Special files and links are files.py's to refuse (its rules, its words): only a
    # regular file already there can hold a draft.
    existing = [(p, ls, d) for p, ls, d in targets if p.is_file() and not p.is_symlink()]
    renamed: dict[Path, Path] = {}
    if not existing:
        return renamed
    held = drafts_at(store, [str(p) for p, _, _ in existing])
    for path, ltrs, data in existing:
        mine = {(ltr.contact_id, ltr.digest) for ltr in ltrs if ltr.contact_id}
        # a letter to a person (logged with no contact) is renamed, as before, not refused
        there = {(c, d) for c, d in held.get(str(path), set()) if c is not None}
        if mine:
            if not (there and there <= mine):
                raise DraftExistsError(
                    f"{path} already holds a different draft; nothing was written",
                    "write to another directory or file with -o (the earlier drafts are kept)")
        elif there:
            raise DraftExistsError(f"{path} already holds a logged draft; nothing was written",
                                   "write to another directory or file with -o")
        elif not _same_bytes(path, data):
            renamed[path] = _free_name(path)
    return renamed


def _free_name(path: Path) -> Path:
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
        n += 1


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.read_bytes() == data
    except OSError:
        return False


def deal_again(store: Store, letters: Sequence[Letter]) -> list[Letter] | None:
    """Inside the transaction that logs ``letters``: the letters as they are to be
    logged, their cases dealt again if another member logged letters to the same
    recipients since they were rendered (compose.Dealing.again); None if nothing
    changed. One code path for both engines: the transaction holds the one writers'
    lock (engine.WRITE_LOCK on PostgreSQL, SQLite's own), so no other member logs a
    case between this read and this transaction's commit."""
    out: list[Letter] | None = None
    seen: list[Any] = []
    for ltr in letters:
        dealing = ltr.dealing
        if dealing is None or any(dealing is d for d in seen):
            continue
        seen.append(dealing)
        again = dealing.again(store, out if out is not None else letters)
        if again is not None:
            out = again
    return out


def _encode_again(before: Sequence[Letter], after: Sequence[Letter], plan: Plan,
                  sender: Sender | None, files: dict[str, bytes],
                  combined: bytes) -> tuple[dict[str, bytes], bytes]:
    """The files' bytes for letters dealt again: in a directory, only the letters that
    changed are encoded again (a file's name is its place and recipient, which stay);
    one combined file is encoded again whole, if any letter changed."""
    # (a letter whose text is unchanged, given only the merge's new coalition lines,
    # encodes as it did)
    changed = [n for n, (a, b) in enumerate(zip(before, after, strict=True))
               if (a.subject, a.markdown) != (b.subject, b.markdown)]
    if not changed:
        return files, combined
    if plan.directory is not None:
        names = file_names(after, plan.fmt)
        files = dict(files)
        for n in changed:
            files[names[n]] = encode_one(after[n], plan.fmt, sender)
        return files, combined
    return files, encode_combined(after, plan.fmt, sender)


def _test_barrier() -> None:
    """Test-only: with ``CAMPAIGN_TEST_BARRIER=DIR:N`` set, wait here (the letters
    rendered and encoded, the transaction that logs them not yet begun) until N
    processes have arrived at DIR, or 60 seconds have passed. The concurrency test
    (tests/test_coalition.py) uses it so that two merges certainly render before
    either logs. Unset, as it always is outside the tests, it does nothing."""
    import os

    spec = os.environ.get("CAMPAIGN_TEST_BARRIER")
    if not spec:
        return
    import time

    directory, _, count = spec.rpartition(":")
    (Path(directory) / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(Path(directory).iterdir())) < int(count) and time.monotonic() < deadline:
        time.sleep(0.02)


def commit(store: Store, letters: Sequence[Letter], plan: Plan, *, sender: Sender | None = None,
           force: bool = False, progress: Callable[[int], None] | None = None) -> Result:
    """Write the files and log the letters, all or nothing.

    A letter already in the log (same text to the same contact) is written again to
    the file asked for and its path added to its entry; ``force`` logs it as a new
    draft instead (writing the same letter again on purpose)."""
    from campaign.files import write_atomic, write_directory
    from campaign.outreach import add_path, record

    if plan.directory is None and plan.file is None:
        raise UsageError("commit needs a directory or a file")
    files, combined = _encode(letters, plan, sender, progress)
    if plan.directory is not None:
        paths = [plan.directory / name for name in files]
        where = [str(p) for p in paths]
    else:
        assert plan.file is not None
        paths = [plan.file]
        where = [str(plan.file)] * len(letters)
    by_sender = sender.name if sender else None
    # The check and the log in one transaction (a parallel run waits for this one, then
    # finds the letters logged), the entries "drafting"; then the files; then the
    # entries "drafted". A failed write removes the entries again; a killed process
    # leaves them "drafting", and the same merge run again completes them
    # (outreach.finish_drafting).
    from campaign.outreach import finish_drafting, forget_drafting

    def check_and_log(plan: Plan = plan, files: dict[str, Any] = files,
                      paths: list[Path] = paths, combined: bytes = combined,
                      letters: Sequence[Letter] = letters) -> tuple[Any, ...]:
        # Run again as a whole when PostgreSQL gives the transaction up (Store.retrying):
        # nothing outside the store happens in here.
        dealt = deal_again(store, letters)  # the cases, chosen under the writers' lock
        if dealt is not None:
            files, combined = _encode_again(letters, dealt, plan, sender, files, combined)
            letters = dealt
        renamed = _check_targets(store, letters, plan, files, combined)
        if renamed and plan.directory is not None:
            files = {renamed.get(plan.directory / name, plan.directory / name).name: data
                     for name, data in files.items()}
            paths = [plan.directory / name for name in files]
        elif renamed and plan.file is not None:
            new_file = renamed[plan.file]
            plan = Plan(plan.fmt, file=new_file)
            paths = [new_file]
        dup = set() if force else duplicates(store, letters)
        entries = []
        already: list[Letter] = []
        seen: set[tuple[str, str]] = set()
        for ltr, path in zip(letters, where, strict=True):
            if not ltr.contact_id:
                if ltr.person_id and not ltr.record_only:  # a prisoner's or family's letter
                    from campaign.outreach import person_drafted

                    if not force and person_drafted(store, ltr.person_id, ltr.digest):
                        already.append(ltr)
                        continue
                    entries.append({"contact_id": None, "person_id": ltr.person_id,
                                    "document": f"letter-{ltr.kind}", "digest": ltr.digest,
                                    "path": path, "sender": by_sender})
                continue
            key = (ltr.contact_id, ltr.digest)
            if key in dup or key in seen:
                already.append(ltr)
                add_path(store, ltr.contact_id, ltr.digest, path)
                continue
            seen.add(key)
            entries.append({"contact_id": ltr.contact_id, "document": f"letter-{ltr.kind}",
                            "digest": ltr.digest, "path": path, "sender": by_sender})
        new_ids = record(store, entries, state="drafting")
        from campaign.documents.letters.memory import remember

        remember(store, letters)  # each row's case and text sketch (letters.memory)
        return renamed, files, paths, plan, entries, already, new_ids, combined, letters

    _test_barrier()
    (renamed, files, paths, plan, entries, already, new_ids, combined,
     letters) = store.retrying(check_and_log)
    try:
        if plan.directory is not None:
            write_directory(plan.directory, files)
        elif plan.file is not None:
            write_atomic(plan.file, combined)
    except BaseException:
        with store.transaction():
            forget_drafting(store, new_ids)
        raise
    with store.transaction():
        finish_drafting(store, ((ltr.contact_id, ltr.digest) for ltr in letters
                                if ltr.contact_id))
        finish_drafting(store, ((ltr.person_id, ltr.digest) for ltr in letters
                                if not ltr.contact_id and ltr.person_id
                                and not ltr.record_only), column="person_id")
    no_address = sum(1 for ltr in letters if not ltr.email) if plan.fmt is DocFormat.eml else 0
    return Result(list(letters), already, paths, len(entries), no_address, already,
                  sorted(renamed.items()))


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
