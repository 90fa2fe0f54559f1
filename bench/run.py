#!/usr/bin/env python
"""Whole-process benchmarks of the ``campaign`` CLI, run by hand.

    python bench/run.py [--runs N] [--quick] [--no-fail] [--only TEXT] [--tmpdir DIR] [--dev]

Why whole processes: what a user feels is the time from Enter to the prompt,
start-up and imports included, so every case is a fresh child process. Its wall
time is taken around spawn-and-reap, and its peak memory (ru_maxrss) comes from
``os.wait4`` on that very child, not from RUSAGE_CHILDREN (which keeps the
maximum over all children so far and so hides a smaller one). The children are
forked by a small launcher process, not by this one: Linux carries the peak
memory of the forking process across exec.

What runs is the checkout built as a wheel and installed into its own
virtualenv (bench/.venv-campaign), as a user runs it; ``--dev`` runs the
checkout with this interpreter instead.

Each case runs once as a warm-up (byte-code compiled, page cache warm), then
N rounds run every case once each, interleaved so that the machine's drift hits
a case and its baseline alike. The table shows the median wall time, the
largest peak memory, the ratio to ``python -c pass`` from the same virtualenv
(measured in the same rounds) and the target with PASS/MISS.

Nothing touches the user's real store: every case points CAMPAIGN_DB at a file
in a temporary directory (a fresh copy of a generated store of 705 synthetic
MEPs for the letters) and writes into temporary output directories.

The mail-merge comparison runs the PyPI ``mailmerge`` CLI (installed into
bench/.venv-mailmerge on first use) as a dry run over the same 705 recipients,
with a template made from our own rendered letter so both produce the same text.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAILMERGE_VENV = HERE / ".venv-mailmerge"
CAMPAIGN_VENV = HERE / ".venv-campaign"
N_MEPS = 705
SENDER = "Bench Sender"
MEMORY_LIMIT_MB = 150.0


# A mail merge's worth of files (our letters are ~3.5 kB), written the plain way.
WRITE_FILES = """
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.mkdir(d)
for i in range(n):
    with open(os.path.join(d, f"{i:03d}.md"), "wb") as f:
        f.write(b"x" * 3500)
"""


# -- running one child ---------------------------------------------------------


@dataclass
class Sample:
    wall: float
    maxrss_mb: float


# The process that starts every measured child. Linux carries a process's
# high-water RSS across exec, so a child forked from this bench (60 MB by the
# time it has built the fixtures and imported pypdf) would report at least that
# as its own peak: `python -c pass` came out at 55 MB. Started first thing with
# -S, this launcher stays at a few MB, and so can the children it forks.
LAUNCHER = r"""
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(job["cwd"])
            out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execve(job["argv"][0], job["argv"], job["env"])
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall": wall, "maxrss_kb": usage.ru_maxrss,
                      "code": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, argv: Sequence[str], env: dict[str, str], cwd: Path) -> Sample:
        """Run one child to its end; fail loudly on a non-zero exit."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        argv = [shutil.which(argv[0], path=env.get("PATH")) or argv[0], *argv[1:]]
        out_path, err_path = cwd / ".stdout", cwd / ".stderr"
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(cwd),
                                          "stdout": str(out_path),
                                          "stderr": str(err_path)}) + "\n")
        self.proc.stdin.flush()
        done = json.loads(self.proc.stdout.readline())
        if done["code"] != 0:
            tail = err_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise SystemExit(f"bench: {' '.join(argv)} exited {done['code']}:\n  "
                             + "\n  ".join(tail))
        return Sample(done["wall"], done["maxrss_kb"] / 1024)  # Linux: KiB

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


LAUNCH: Launcher | None = None


# -- cases ---------------------------------------------------------------------


@dataclass
class Case:
    name: str
    # Given a fresh run directory, set it up and return argv and extra environment.
    prepare: Callable[[Path], tuple[list[str], dict[str, str]]]
    target: str = ""                       # shown in the table
    max_wall: float | None = None          # absolute target (s)
    vs: str | None = None                  # name of a baseline case ...
    max_ratio: float | None = None         # ... and the ratio to it
    check: Callable[[Path], str | None] | None = None  # after the warm-up: error or None
    memory_target: bool = True
    max_rss: float | None = None           # peak memory target (MB), else MEMORY_LIMIT_MB
    # Further targets as ratios to other cases: ((name of a case, highest ratio), ...).
    also: tuple[tuple[str, float], ...] = ()
    samples: list[Sample] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.maxrss_mb for s in self.samples)


# The Python that runs the cases: the bench's own virtualenv with the wheel in it
# (``install_wheel``), or with --dev this interpreter and the checkout.
PYTHON = sys.executable


def campaign_argv() -> list[str]:
    """The console script next to PYTHON (no pyenv shim in the way)."""
    script = Path(PYTHON).parent / "campaign"
    return [str(script)] if script.exists() else [PYTHON, "-m", "campaign"]


def install_wheel() -> Path:
    """The checkout built as a wheel and installed into bench/.venv-campaign.

    What a user runs is an installed wheel in a plain environment, and that is
    what mailmerge gets too (bench/.venv-mailmerge). A development interpreter
    starts slower: an editable install adds an import finder to every start-up,
    and other .pth files may import more (here one imports certifi): about 50 ms
    on every case that mailmerge does not pay. The wheel is rebuilt every run, so
    the bench always measures the checkout as it is.
    """
    python = CAMPAIGN_VENV / "bin" / "python"
    fresh = not python.exists()
    if fresh:
        print(f"bench: creating {CAMPAIGN_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(CAMPAIGN_VENV)], check=True)
    with tempfile.TemporaryDirectory(prefix="campaign-wheel-") as dist:
        print("bench: building and installing the wheel ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist,
                        str(ROOT)], check=True)
        wheel = next(Path(dist).glob("campaign-*.whl"))
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if not fresh:  # a dependency added since the virtualenv was made (nothing if none)
            subprocess.run([*pip, str(wheel)], check=True)
        subprocess.run([*pip, "--force-reinstall", *([] if fresh else ["--no-deps"]),
                        str(wheel)], check=True)
    return python


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    # PYTHONDONTWRITEBYTECODE (set on some CI machines and containers) would make
    # every run compile our modules from source; an installed wheel has its byte
    # code, so the warm-up must be allowed to write it.
    for var in ("CAMPAIGN_TEMPLATES", "CAMPAIGN_DEBUG", "PYTHONPROFILEIMPORTTIME",
                "PYTHONDONTWRITEBYTECODE"):
        env.pop(var, None)
    env["NO_COLOR"] = "1"
    return env


def use_cache_in(env: dict[str, str], work: Path) -> None:
    """Compiled templates go to the bench's own directory, not the user's cache (the
    warm-up fills it, as a user's first merge does)."""
    env["CAMPAIGN_CACHE"] = str(work / "template-cache")


def make_fixture(work: Path) -> Path:
    """The store of the bundled campaign plus 705 synthetic MEPs, built once per run."""
    sys.path.insert(0, str(ROOT))
    from bench.fixtures import make_mep_store

    path = work / "meps.db"
    store = make_mep_store(path, N_MEPS)
    store.close()
    return path


BIG_PERSONS, BIG_CONTACTS = 10_000, 20_000
BIG = f"{BIG_PERSONS // 1000}k persons, {BIG_CONTACTS // 1000}k contacts"
LOAD_YAML = ("import sys, yaml; "
             "yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)")


def make_big(work: Path) -> tuple[Path, Path, Path]:
    """(pack, store of the bundled campaign, store with that pack imported) for the
    scale cases: a generated pack of 10,000 persons with three case events each and
    20,000 contacts, built once per run."""
    sys.path.insert(0, str(ROOT))
    from bench.fixtures import write_big_pack
    from campaign.pack import import_pack, load_bundled, read_pack
    from campaign.store import Store

    pack = work / "big-pack.yaml"
    write_big_pack(pack, BIG_PERSONS, BIG_CONTACTS)
    bundled = work / "bundled.db"
    store = Store(bundled)
    load_bundled(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    big = work / "big.db"
    shutil.copyfile(bundled, big)
    store = Store(big)
    import_pack(store, read_pack(pack), replace=False)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return pack, bundled, big


def fresh_copy(src: Path, run: Path) -> Path:
    """A private copy per run: letters are logged, and a second run would skip them."""
    dst = run / "campaign.db"
    shutil.copyfile(src, dst)
    for suffix in ("-wal", "-shm"):
        extra = Path(str(src) + suffix)
        if extra.exists():
            shutil.copyfile(extra, Path(str(dst) + suffix))
    return dst


def count_files(directory: Path) -> int:
    return sum(1 for p in directory.iterdir() if p.is_file()) if directory.is_dir() else 0


# -- mailmerge -------------------------------------------------------------------


def mailmerge_bin() -> Path | None:
    """bench/.venv-mailmerge/bin/mailmerge, created on first use; None if that fails."""
    exe = MAILMERGE_VENV / "bin" / "mailmerge"
    if exe.exists():
        return exe
    print(f"bench: installing mailmerge into {MAILMERGE_VENV} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(MAILMERGE_VENV)], check=True)
        subprocess.run([str(MAILMERGE_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                        "mailmerge"], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench: cannot install mailmerge ({exc}); skipping the comparison",
              file=sys.stderr)
        return None
    return exe if exe.exists() else None


def write_mailmerge_files(fixture: Path, work: Path, env: dict[str, str]) -> Path:
    """Database, template and a dummy server config for a mailmerge dry run.

    The template is our own letter to the first synthetic MEP with the parts that
    vary (name, country, group) turned into ``{{ }}`` fields, so mailmerge renders
    the same text per recipient that we do. Every synthetic MEP gets a reserved
    ``.invalid`` address (mailmerge needs a TO); the dry run never connects anyway.
    """
    from campaign import countries
    from campaign.documents.letters import display_name
    from campaign.store import Store

    mm = work / "mailmerge"
    mm.mkdir()
    store = Store(fixture)
    try:
        meps = sorted((c for c in store.contacts(kind="mep") if c["id"].startswith("mep-9")),
                      key=lambda c: c["id"])
    finally:
        store.close()
    if len(meps) != N_MEPS:
        raise SystemExit(f"bench: the fixture store has {len(meps)} synthetic MEPs, "
                         f"not {N_MEPS}")
    rows = [{"email": f"test.member{i:03d}@example.invalid", "name": display_name(c),
             "country": countries.english(c["country"]) or "", "group": c["group"] or ""}
            for i, c in enumerate(meps, 1)]
    with open(mm / "mailmerge_database.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["email", "name", "country", "group"])
        writer.writeheader()
        writer.writerows(rows)

    first = rows[0]
    preview = subprocess.run(
        [*campaign_argv(), "letter", "--to", "mep", "--contact", meps[0]["name"],
         "--sender", SENDER], env={**env, "CAMPAIGN_DB": str(fixture)},
        capture_output=True, text=True, check=True).stdout
    # The recipient's name must be there (a letter names whom it is to); the country
    # and the group are made fields wherever the letter says them, and need not be:
    # the letter's wording is the letters' to change, and the bench must not rot with it.
    body = preview
    if first["name"] not in body:
        raise SystemExit(f"bench: cannot find {first['name']!r} in the rendered letter")
    for old, new in ((first["name"], "{{name}}"), (first["country"], "{{country}}"),
                     (first["group"], "{{group}}")):
        if old:
            body = body.replace(old, new)
    (mm / "mailmerge_template.txt").write_text(
        "TO: {{email}}\n"
        "SUBJECT: Political prisoners in Kazakhstan and the Zhanaozen shootings\n"
        f"FROM: {SENDER} <bench.sender@example.invalid>\n\n" + body, encoding="utf-8")
    (mm / "mailmerge_server.conf").write_text(
        "# Dummy: the benchmark only does --dry-run, which never connects.\n"
        "[smtp_server]\nhost = localhost\nport = 25\nsecurity = Never\n"
        "username = bench\nratelimit = 0\n", encoding="utf-8")
    return mm


# -- the cases ---------------------------------------------------------------------


def build_cases(work: Path, fixture: Path, env: dict[str, str]) -> list[Case]:
    cmd = campaign_argv()
    plain_db = work / "plain.db"  # the bundled campaign, created by the first case's warm-up

    def plain(*args: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        def prepare(run: Path) -> tuple[list[str], dict[str, str]]:
            return [*cmd, *(a.replace("{run}", str(run)) for a in args)], {
                "CAMPAIGN_DB": str(plain_db)}
        return prepare

    def letters(output: str, word: bool = False
                ) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        def prepare(run: Path) -> tuple[list[str], dict[str, str]]:
            db = fresh_copy(fixture, run)
            # Markdown files, as mailmerge writes text; -o DIR alone writes Word.
            fmt = [] if "." in output or word else ["--format", "md"]
            return [*cmd, "letter", "--to", "mep", "--sender", SENDER, *fmt, "-o",
                    str(run / output)], {"CAMPAIGN_DB": str(db)}
        return prepare

    def wrote_all(run: Path) -> str | None:
        n = count_files(run / "letters")
        return None if n == N_MEPS else f"wrote {n} letter files, not {N_MEPS}"

    def wrote_word(run: Path) -> str | None:
        from docx import Document

        files = sorted((run / "letters").glob("*.docx"))
        if len(files) != N_MEPS:
            return f"wrote {len(files)} Word letters, not {N_MEPS}"
        for f in (files[0], files[-1]):  # they open, and say whom they are to
            text = "\n".join(p.text for p in Document(str(f)).paragraphs)
            if "member" not in text.lower():
                return f"{f.name} does not name its recipient"
        return None

    def wrote_pdf(run: Path) -> str | None:
        from pypdf import PdfReader

        pages = len(PdfReader(run / "letters.pdf").pages)
        return None if pages >= N_MEPS else f"the PDF has {pages} pages for {N_MEPS} letters"

    cases = [
        Case("python -c pass", lambda run: ([PYTHON, "-c", "pass"], {}),
             memory_target=False),
        # Reference rows (no target): what typer costs before any of our code runs.
        Case("ref: python -c 'import typer'", lambda run: (
            [PYTHON, "-c", "import typer"], {}), memory_target=False),
        Case("ref: import campaign.cli + build tree", lambda run: (
            [PYTHON, "-c", "import typer.main; from campaign.cli import app; "
             "typer.main.get_command(app)"], {}), memory_target=False),
        Case("campaign --help", plain("--help"), "≤ 0.15 s", max_wall=0.15),
        Case("campaign prisoners list", plain("prisoners", "list"), "≤ 0.25 s", max_wall=0.25),
        Case("campaign resolution → md", plain("resolution", "-o", "{run}/r.md")),
        Case("campaign resolution → docx", plain("resolution", "-o", "{run}/r.docx")),
        Case("campaign resolution → pdf", plain("resolution", "-o", "{run}/r.pdf")),
        Case("campaign prisoners print → pdf", plain("prisoners", "print", "-o",
                                                       "{run}/picket.pdf"),
             "≤ 0.4 s", max_wall=0.4),
    ]
    pack, bundled, big = make_big(work)

    def import_big(run: Path) -> tuple[list[str], dict[str, str]]:
        return [*cmd, "import", str(pack)], {"CAMPAIGN_DB": str(fresh_copy(bundled, run))}

    def imported_all(run: Path) -> str | None:
        out = (run / ".stdout").read_text(errors="replace")
        want = f"{BIG_PERSONS} persons"
        return None if want in out else f"the import did not report {want}: {out[:200]}"

    def big_case(*args: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        def prepare(run: Path) -> tuple[list[str], dict[str, str]]:
            return [*cmd, *(a.replace("{run}", str(run)) for a in args)], {
                "CAMPAIGN_DB": str(big)}
        return prepare

    def sheet_pages(run: Path) -> str | None:
        from pypdf import PdfReader

        pages = len(PdfReader(run / "picket.pdf").pages)
        return None if pages > 100 else f"the picket sheet has only {pages} pages"

    def listed_all(run: Path) -> str | None:
        out = (run / ".stdout").read_text(errors="replace")
        lines = out.count("\n│ ")  # a row's lines (a row takes one at least)
        whole = "\n└" in out and out.rstrip().endswith("on the date shown.")
        return None if whole and lines >= BIG_PERSONS else f"the list has {lines} lines"

    cases += [
        # The scale cases (issue 15): a pack import against PyYAML's C loader just
        # loading the same file, in the same run; an export streamed to a file.
        Case(f"ref: yaml CSafeLoader load ({BIG})", lambda run: (
            [PYTHON, "-c", LOAD_YAML, str(pack)], {}), memory_target=False),
        Case(f"campaign import ({BIG})", import_big, "≤ 2× C load, ≤ 300 MB",
             vs=f"ref: yaml CSafeLoader load ({BIG})", max_ratio=2.0, max_rss=300.0,
             check=imported_all),
        Case(f"campaign export ({BIG})", lambda run: (
            [*cmd, "export", "-o", str(run / "export.yaml")], {"CAMPAIGN_DB": str(big)}),
            "≤ 150 MB", max_rss=150.0),
        # Big campaigns (issue 21): the picket sheet of every person held, typeset in
        # bounded memory; the motion, which reads the persons of the store.
        Case(f"campaign prisoners print → pdf ({BIG})",
             big_case("prisoners", "print", "-o", "{run}/picket.pdf"), "≤ 200 MB",
             max_rss=200.0, check=sheet_pages),
        Case(f"campaign resolution → md ({BIG})",
             big_case("resolution", "-o", "{run}/motion.md"), "≤ 1.5 s", max_wall=1.5),
        # The list is streamed in every format: the table in the memory of CSV's.
        Case(f"campaign prisoners list ({BIG})", big_case("prisoners", "list"), "≤ 60 MB",
             max_rss=60.0, check=listed_all),
    ]
    mm_exe = mailmerge_bin()
    if mm_exe is not None:
        mm = write_mailmerge_files(fixture, work, env)

        def mailmerge(run: Path) -> tuple[list[str], dict[str, str]]:
            return [str(mm_exe), "--dry-run", "--no-limit", "--output-format", "text",
                    "--template", str(mm / "mailmerge_template.txt"),
                    "--database", str(mm / "mailmerge_database.csv"),
                    "--config", str(mm / "mailmerge_server.conf")], {}

        def sent_all(run: Path) -> str | None:
            out = (run / ".stdout").read_text(errors="replace")
            return None if f">>> message {N_MEPS} sent" in out else "mailmerge did not do 705"

        cases.append(Case(f"mailmerge --dry-run ({N_MEPS})", mailmerge, check=sent_all,
                          memory_target=False))
    # Reference row (no target): what this disk charges any program for the files
    # alone; mailmerge's dry run writes none.
    cases.append(Case(f"ref: python writes {N_MEPS} files", lambda run: (
        [PYTHON, "-c", WRITE_FILES, str(run / "letters"), str(N_MEPS)], {}),
        memory_target=False))
    merge = f"mailmerge --dry-run ({N_MEPS})"
    markdown = f"campaign letter: {N_MEPS} MEPs → Markdown files"
    cases += [
        Case(markdown, letters("letters"),
             "≤ 0.7× mailmerge" if mm_exe else "(no mailmerge)",
             vs=merge if mm_exe else None, max_ratio=0.7, check=wrote_all),
        # -o DIR alone: Word letters, the default.
        Case(f"campaign letter: {N_MEPS} MEPs → Word files", letters("letters", word=True),
             "≤ 1.5× mailmerge, ≤ 1.3× Markdown" if mm_exe else "≤ 1.3× Markdown",
             vs=merge if mm_exe else None, max_ratio=1.5, also=((markdown, 1.3),),
             check=wrote_word),
        Case(f"campaign letter: {N_MEPS} MEPs → 1 pdf", letters("letters.pdf"),
             "≤ 2 s, ≤ 6× mailmerge" if mm_exe else "≤ 2 s", max_wall=2.0,
             also=((merge, 6.0),), check=wrote_pdf),
    ]
    return cases


# -- running and reporting -----------------------------------------------------------


def default_tmpdir() -> str | None:
    """Memory (tmpfs) where the system has it: the cases compare our letters, written
    as files, with mailmerge's dry run, which writes none, so the disk's own cost (the
    reference row "python writes 705 files" shows it) is left out of both."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def sample(case: Case, work: Path, env: dict[str, str], *, check: bool = False) -> Sample:
    """One run of a case in a fresh directory, started with the disk's dirty data synced.

    Without the sync, a run pays for the writeback of the run before it (705 letter
    files are a lot of metadata for the journal), so a case's time depended on the
    case before it. Run directories are kept until the bench ends, for the same
    reason: deleting 705 files is disk work too.
    """
    run = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    argv, extra = case.prepare(run)
    os.sync()
    assert LAUNCH is not None
    result = LAUNCH.run(argv, {**env, **extra}, run)
    if check and case.check and (problem := case.check(run)):
        raise SystemExit(f"bench: {case.name}: {problem}")
    return result


def measure(cases: Sequence[Case], work: Path, env: dict[str, str], warmups: int,
            runs: int) -> None:
    """Warm-ups first, then the runs in rounds, every case once a round.

    Interleaved, a case and the baseline it is compared with see the same machine:
    this one's speed drifts by a quarter within a minute, which case-after-case
    timing turned into ratios of the drift.
    """
    for case in cases:
        if warmups:
            print(f"bench: warming up {case.name} ...", file=sys.stderr, flush=True)
        for _ in range(warmups):
            sample(case, work, env, check=True)
    for n in range(1, runs + 1):
        print(f"bench: round {n} of {runs} ...", file=sys.stderr, flush=True)
        for case in cases:
            # Without a warm-up, the first round's run is the one checked.
            case.samples.append(sample(case, work, env, check=not warmups and n == 1))


def verdicts(case: Case, by_name: dict[str, Case]) -> tuple[str, str]:
    """(time verdict, memory verdict) as PASS / MISS / '' (no target)."""
    checks = []
    if case.max_wall is not None:
        checks.append(case.wall <= case.max_wall)
    if case.vs and case.max_ratio is not None and case.vs in by_name:
        checks.append(case.wall <= case.max_ratio * by_name[case.vs].wall)
    checks += [case.wall <= ratio * by_name[name].wall for name, ratio in case.also
               if name in by_name]
    timing = ("PASS" if all(checks) else "MISS") if checks else ""
    memory = ""
    if case.memory_target:
        memory = "PASS" if case.rss <= (case.max_rss or MEMORY_LIMIT_MB) else "MISS"
    return timing, memory


def report(cases: list[Case], warmups: int, runs: int, work: Path) -> int:
    by_name = {c.name: c for c in cases}
    python = cases[0]
    header = ["case", "median s", "min s", "× python", "× baseline", "target", "time",
              f"peak MB (≤ {MEMORY_LIMIT_MB:.0f})", "mem"]
    rows: list[list[str]] = []
    misses = 0
    for c in cases:
        timing, memory = verdicts(c, by_name)
        misses += (timing == "MISS") + (memory == "MISS")
        vs = " / ".join(f"{c.wall / by_name[name].wall:.2f}"
                        for name in [c.vs, *(n for n, _ in c.also)] if name in by_name)
        rows.append([c.name, f"{c.wall:.3f}", f"{min(s.wall for s in c.samples):.3f}",
                     f"{c.wall / python.wall:.1f}", vs, c.target, timing,
                     f"{c.rss:.0f}", memory])
    title = (f"campaign benchmarks: median of {runs} runs after {warmups} warm-up, "
             f"{PYTHON} (Python {sys.version.split()[0]}), {os.cpu_count()} CPUs, "
             f"files in {work.parent}")
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print(title)
        for r in [header, *rows]:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
    else:
        table = Table(title=title)
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i in (0, 5) else "right")
        for r in rows:
            table.add_row(*r)
        Console(width=max(150, shutil.get_terminal_size().columns)).print(table)
    print(f"{misses} target(s) missed" if misses else "all targets met")
    return 1 if misses else 0


def select(cases: list[Case], only: Sequence[str]) -> list[Case]:
    """The cases asked for, with the baselines they are reported against."""
    if not only:
        return cases
    wanted = {c.name for c in cases if any(text in c.name for text in only)}
    wanted |= {c.vs for c in cases if c.name in wanted and c.vs}
    wanted |= {name for c in cases if c.name in wanted for name, _ in c.also}
    wanted.add(cases[0].name)  # python -c pass: every row's "× python"
    return [c for c in cases if c.name in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="measured runs per case (5)")
    parser.add_argument("--quick", action="store_true",
                        help="one run of each case, no warm-up (CI, in about two minutes: "
                        "every case still runs and what it wrote is checked; its first "
                        "run's timings include compiling the templates)")
    parser.add_argument("--no-fail", action="store_true",
                        help="report missed targets but exit 0 (CI, on a shared machine: a "
                        "broken benchmark fails, a slow run does not)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only the cases whose name contains TEXT (repeatable); "
                        "python -c pass and any baseline a case is compared with still run")
    parser.add_argument("--tmpdir", default=default_tmpdir(),
                        help="where the stores and output files go (default: /dev/shm where "
                        "there is one, so the disk is left out, as mailmerge's dry run "
                        "writes no files; else the system's temporary directory)")
    parser.add_argument("--dev", action="store_true",
                        help="run the checkout with this interpreter instead of the wheel "
                        "installed into bench/.venv-campaign (quicker to iterate on; its "
                        "start-up includes whatever this environment adds)")
    args = parser.parse_args(argv)
    global PYTHON
    if not args.dev:
        try:
            PYTHON = str(install_wheel())
        except (OSError, subprocess.CalledProcessError) as exc:
            parser.exit(1, f"bench: cannot install the wheel ({exc}); try --dev\n")
    warmups = 0 if args.quick else 1
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    if runs < 1:
        parser.error("--runs must be at least 1")
    env = base_env()
    global LAUNCH
    LAUNCH = Launcher()
    with tempfile.TemporaryDirectory(prefix="campaign-bench-", dir=args.tmpdir) as tmp:
        work = Path(tmp)
        use_cache_in(env, work)
        fixture = make_fixture(work)
        cases = select(build_cases(work, fixture, env), args.only)
        try:
            measure(cases, work, env, warmups, runs)
        finally:
            LAUNCH.close()
        status = report(cases, warmups, runs, work)
        return 0 if args.no_fail else status


if __name__ == "__main__":
    sys.exit(main())
