"""The README as a new user runs it: every command line of its ``sh`` blocks, in order,
in one fresh store, offline; any exit it does not expect fails the test.

How the runner reads the README (a convention for every section, yours too):

* Every fenced block opened with ```` ```sh ```` is run, top to bottom, a command at a
  time (``\\`` continues a line; ``;`` and ``&&`` separate commands; ``#`` starts a
  comment). A command must be ``campaign ...``; it runs through typer's CliRunner in a
  working directory of its own, against a store made for the test (the bundled campaign
  loads on first use, as for a new user). Anything else in a block needs a marker.
* A marker is an HTML comment on the line(s) just before the fence (blank lines
  between are allowed), invisible on GitHub::

      <!-- readme-test: skip "why" -->        the block is not run, for the reason given
      <!-- readme-test: setup "why" -->       only its campaign commands run (a
                                              `pip install` or a `cd` is the reader's)
      <!-- readme-test: ep "why" -->          `meps fetch` goes to a loopback server
                                              that answers with tests/fixtures/ep
      <!-- readme-test: server postgresql "why" -->   (or smtp) needs a server: the
                                              block runs against the tests' own loopback
                                              server (tests/pg_server.py: CAMPAIGN_DB is
                                              a new database of it, `--db ~/...` the
                                              tour's store; tests/sending's aiosmtpd:
                                              host, port and TLS rewritten, `send` given
                                              --yes); skipped, with a warning saying why,
                                              only where the server cannot be had outside
                                              CI
      <!-- readme-test: exit N "campaign ..." -->     that command (matched by its start)
                                              must exit N instead of 0

* A reader's own files the README mentions (``my-paragraph.txt``, a browser-saved
  ``show-current.json``) are made in the working directory first (READER_FILES);
  ``contacts/example.csv`` is the repository's own. A prompt is answered "y".

A block needing the internet must say so with ``ep`` (or ``skip``): nothing here
touches the network, and a command that tried would fail.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ep"

READER_FILES = {
    "my-paragraph.txt": "Our branch met members of the Zhanaozen families this autumn.\n",
}

_MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    line: int  # the fence's line number in the README, for messages
    commands: list[tuple[int, list[str]]]  # (line, argv)
    markers: list[list[str]] = field(default_factory=list)

    def marker(self, key: str) -> list[str] | None:
        return next((m[1:] for m in self.markers if m and m[0] == key), None)


def blocks(text: str) -> list[Block]:
    """The ``sh`` blocks of a README, each with its commands and the markers before it."""
    out: list[Block] = []
    pending: list[list[str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        found = _MARKER.match(raw.strip())
        if found:
            pending.append(shlex.split(found.group(1)))
        elif raw.strip().startswith("```sh"):
            start = i + 1
            body: list[tuple[int, str]] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append((i + 1, lines[i]))
                i += 1
            out.append(Block(start, _commands(body), pending))
            pending = []
        elif raw.strip():
            pending = []
        i += 1
    return out


def _commands(body: list[tuple[int, str]]) -> list[tuple[int, list[str]]]:
    """Shell lines as argv lists: continuations joined, comments dropped, split at ; &&."""
    joined: list[tuple[int, str]] = []
    carry, first = "", 0
    for number, line in body:
        if not carry:
            first = number
        if line.rstrip().endswith("\\"):
            carry += line.rstrip()[:-1] + " "
            continue
        joined.append((first, carry + line))
        carry = ""
    commands = []
    for number, line in joined:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if token in (";", "&&"):
                if current:
                    commands.append((number, current))
                current = []
            else:
                current.append(token)
        if current:
            commands.append((number, current))
    return commands


def _expected_exit(block: Block, argv: list[str]) -> int:
    text = " ".join(argv)
    for m in block.markers:
        if m and m[0] == "exit" and len(m) >= 3 and text.startswith(m[2]):
            return int(m[1])
    return 0


def test_the_readme_parser_reads_the_shell() -> None:
    found = blocks('<!-- readme-test: exit 1 "campaign x" -->\n\n```sh\n'
                   'campaign a "b c" --d \\\n    e   # note\ncampaign f; campaign g && campaign h\n'
                   "```\ntext\n```sh\ncampaign i # j\n```\n")
    assert [b.commands for b in found] == [
        [(4, ["campaign", "a", "b c", "--d", "e"]), (6, ["campaign", "f"]),
         (6, ["campaign", "g"]), (6, ["campaign", "h"])],
        [(10, ["campaign", "i"])]]
    assert found[0].marker("exit") == ["1", "campaign x"] and found[1].markers == []
    assert _expected_exit(found[0], ["campaign", "x", "y"]) == 1


def test_every_readme_block_is_run_or_says_why() -> None:
    """A block that is not all `campaign` commands must carry a marker saying why."""
    for block in blocks(README.read_text(encoding="utf-8")):
        strangers = [argv for _, argv in block.commands if argv[0] != "campaign"]
        if strangers:
            assert block.marker("skip") or block.marker("setup"), (
                f"README line {block.line}: {strangers[0]!r} is not a campaign command; "
                "mark the block (see the top of tests/test_readme.py)")


@pytest.fixture
def reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new user's working directory and an empty store (the bundled campaign loads on
    first use), no profile, no cache of theirs."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "store" / "campaign.db"))
    monkeypatch.setenv("CAMPAIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name, text in READER_FILES.items():
        (work / name).write_text(text, encoding="utf-8")
    shutil.copy(FIXTURES / "api-show-current.json", work / "show-current.json")
    shutil.copytree(ROOT / "contacts", work / "contacts")
    return work


def _ep_server(request: Any) -> tuple[str, str] | None:
    """The loopback EP server of tests/ep (pytest-httpserver) with its recorded answers."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "ep"))
    try:
        from ep_server import api_url, base_url, serve_api, serve_current, serve_list
    finally:
        sys.path.pop(0)
    server = request.getfixturevalue("httpserver")
    serve_list(server)
    serve_current(server)
    serve_api(server)
    return base_url(server), api_url(server)


def test_the_readme_runs_as_written(reader: Path, request: Any) -> None:
    from typer.testing import CliRunner

    from campaign.cli import app

    runner = CliRunner()
    ran = 0
    ep: tuple[str, str] | None = None
    servers: dict[str, dict[str, str] | None] = {}
    handles: dict[str, Any] = {}  # the servers themselves, to see what reached them
    skipped: list[str] = []
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.marker("skip") is not None:
            continue
        server = block.marker("server")
        env: dict[str, str] = {}
        if server is not None:
            kind = server[0] if server else "?"
            if kind not in servers:
                servers[kind] = _server(kind, request, skipped, handles)
            if servers[kind] is None:
                continue  # no such server outside CI: skipped, with the reason in `skipped`
            env = servers[kind]
        for number, argv in block.commands:
            if argv[0] != "campaign":
                assert block.marker("setup") is not None, f"README line {number}: {argv}"
                continue
            args = _for_server(argv[1:], env)
            if block.marker("ep") is not None and args[:2] == ["meps", "fetch"]:
                ep = ep or _ep_server(request)
                args = [*args, "--base-url", ep[0], "--api-url", ep[1]]
            result = runner.invoke(app, args, input="y\n", catch_exceptions=False,
                                   env={k: v for k, v in env.items() if not k.startswith("_")})
            expected = _expected_exit(block, argv)
            assert result.exit_code == expected, (
                f"README line {number}: `{shlex.join(argv)}` exited {result.exit_code} "
                f"(expected {expected}):\n{result.stderr}")
            assert "internal error" not in result.stderr and "Traceback" not in result.output
            ran += 1
    assert ran >= 40  # the README's commands, not a parse that found none
    if "smtp" in handles:  # the tour's letters reached the mail server, and were logged sent
        sent = handles["smtp"].handler.received
        assert sent and all(m.mail_from == "jane@example.org" for m in sent)
        state = runner.invoke(app, ["outreach", "summary", "--format", "json"])
        assert state.exit_code == 0, state.stderr
        counts = {r["state"]: r["count"] for r in json.loads(state.stdout)}
        assert counts["sent"] >= len(sent), counts  # (the tour marks some sent by hand too)
    if os.environ.get("CI"):
        assert not skipped, skipped  # under CI every server is had
    for why in skipped:
        import warnings

        warnings.warn(f"README blocks not run: {why}", stacklevel=1)
    # what the tour said it would make is there
    for made in ("motion.docx", "motion.pdf", "picket.pdf", "placards.docx", "letters",
                 "roza.pdf", "family.docx", "vigil.ics", "kazakhstan.yaml",
                 "my-templates/resolution.md.j2"):
        assert (reader / made).exists(), made


NEW_PASSWORD = "readme-Member-pw-7c1d"  # what `coalition add` gives a new member


def _server(kind: str, request: Any, skipped: list[str],
            handles: dict[str, Any]) -> dict[str, str] | None:
    """The environment a ``server KIND`` block runs in, against the loopback server the
    tests start (tests/pg_server.py for postgresql); None, with the reason added to
    ``skipped``, when that server cannot be had (outside CI only: under CI its fixture
    fails instead of skipping)."""
    if kind == "postgresql":
        try:
            pg = request.getfixturevalue("pg_server")
        except pytest.skip.Exception as exc:
            skipped.append(f"postgresql: {exc}")
            return None
        for role in ("kz_solidarity", "unite_dublin"):  # the README's members, cluster-wide
            assert role not in pg.passwords, f"{role} is already a role of the test server"
        # The README's own URL (anna@db.example.org) is the test server's: the blocks run
        # with CAMPAIGN_DB set to a new database of its owner, and the store they move in
        # from (`--db ~/.local/share/...`) is the one the tour before them made.
        return {"CAMPAIGN_DB": str(pg.url(pg.new_database())),
                "CAMPAIGN_NEW_PASSWORD": NEW_PASSWORD,
                "_FROM_DB": os.environ["CAMPAIGN_DB"]}
    if kind == "smtp":
        # tests/sending's aiosmtpd server (no TLS: the README's starttls is rewritten to
        # none, its host to the loopback one), with the password `send` reads first.
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "readme_smtp", Path(__file__).resolve().parent / "sending" / "conftest.py")
        assert spec is not None and spec.loader is not None
        import sys

        smtp = sys.modules.get("readme_smtp") or importlib.util.module_from_spec(spec)
        if "readme_smtp" not in sys.modules:
            sys.modules["readme_smtp"] = smtp  # dataclasses look their module up
            spec.loader.exec_module(smtp)
        server = smtp.start_server(smtp.Handler())
        request.addfinalizer(server.stop)
        handles["smtp"] = server
        request.getfixturevalue("monkeypatch").setattr("campaign.sending.run.BACKOFF",
                                                       (0.0, 0.0, 0.0))
        return {"CAMPAIGN_SMTP_PASSWORD": smtp.PASSWORD, "_SMTP_PORT": str(server.port),
                "_SMTP_USER": smtp.USER}
    skipped.append(f"{kind}: no loopback fixture for it in this runner")
    return None


def _for_server(args: list[str], env: dict[str, str]) -> list[str]:
    """A README command as it runs against the test's server: ``--db ~/...`` (the reader's
    SQLite store, moved in from) is the tour's own store."""
    out = list(args)
    if "_SMTP_PORT" in env:
        # The README's mail server is the test's: its host and port; no TLS on loopback;
        # `send` confirms with --yes (no terminal to ask on; the README's reader is asked).
        given = dict(zip(out[:-1], out[1:], strict=True))
        for option, value in (("--smtp-host", "127.0.0.1"), ("--smtp-security", "none"),
                              ("--smtp-user", env["_SMTP_USER"])):
            if option in given:
                out[out.index(option) + 1] = value
        if "--smtp-host" in given:
            out += ["--smtp-port", env["_SMTP_PORT"]]
        if out[:1] == ["send"] and "--dry-run" not in out:
            out.append("--yes")
        return out
    if "_FROM_DB" not in env:
        return args
    for n, arg in enumerate(out[:-1]):
        if arg == "--db" and out[n + 1].startswith("~"):
            out[n + 1] = env["_FROM_DB"]
    return out


def test_the_sample_motion_is_what_the_command_prints(cli: Any) -> None:
    """The README's sample (``--as-of 2026-11-23 --country Ireland``): each of its lines
    is a line of the motion, in the same order ("…" marks what the sample leaves out)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("A sample\n(`--as-of 2026-11-23 --country Ireland`):")
    sample = text[start:].split("```", 2)[1].strip("\n").splitlines()
    r = cli("resolution", "--as-of", "2026-11-23", "--country", "Ireland")
    assert r.exit_code == 0, r.stderr
    motion = r.stdout.splitlines()
    at = 0
    for line in (ln for ln in sample if ln.strip() not in ("…", "")):
        assert line in motion[at:], f"not in the motion (in this order): {line[:80]}"
        at = motion.index(line, at) + 1


def test_the_contacts_example_imports(cli: Any) -> None:
    r = cli("contacts", "import", str(ROOT / "contacts" / "example.csv"), "--source",
            "socialistworld-2014-01")
    assert r.exit_code == 0, r.stderr
    assert os.path.getsize(ROOT / "contacts" / "example.csv") < 4096
