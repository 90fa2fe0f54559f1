"""Finding and rendering templates: sandboxed, strict, overridable.

A user's template directory (``--templates DIR`` or ``CAMPAIGN_TEMPLATES``)
is searched before the built-in templates, so copying one built-in and
editing it is all it takes to change a document's wording. Templates run in
jinja2's sandbox with StrictUndefined: a typo in a variable name is an error
that names the template file and line, never a silently empty paragraph.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from campaign import data_path, dates
from campaign.errors import NotFoundError, TemplateError


def builtin_dir() -> Path:
    return data_path("templates")


def search_path(user_dir: str | Path | None = None) -> list[Path]:
    dirs: list[Path] = []
    if user_dir:
        dirs.append(Path(os.path.expanduser(user_dir)))
    env = os.environ.get("CAMPAIGN_TEMPLATES")
    if env:
        dirs.extend(Path(os.path.expanduser(p)) for p in env.split(os.pathsep) if p)
    for d in dirs:
        if not d.is_dir():
            raise TemplateError(f"the template directory {d} does not exist",
                                "check --templates or CAMPAIGN_TEMPLATES")
    dirs.append(builtin_dir())
    return list(dict.fromkeys(dirs))  # --templates and CAMPAIGN_TEMPLATES may name one dir


def available(user_dir: str | Path | None = None) -> list[dict[str, str]]:
    """Every template by name, with where it comes from (a user's file wins)."""
    seen: dict[str, dict[str, str]] = {}
    for d in search_path(user_dir):
        origin = "built-in" if d == builtin_dir() else "user"
        for f in sorted(d.iterdir()):
            if f.is_file() and not f.name.startswith(".") and f.name not in seen:
                seen[f.name] = {"name": f.name, "origin": origin, "path": str(f)}
    return sorted(seen.values(), key=lambda t: t["name"])


def find(name: str, user_dir: str | Path | None = None) -> Path | None:
    """The template's file (a user's first), or None."""
    for d in search_path(user_dir):
        if (d / name).is_file():
            return d / name
    return None


def locate(name: str, user_dir: str | Path | None = None) -> Path:
    found = find(name, user_dir)
    if found is not None:
        return found
    from campaign.names import suggest

    near = suggest(name, [t["name"] for t in available(user_dir)])
    raise NotFoundError("template", name, near,
                        hint=None if near else "see `campaign templates list`")


def number(n: int) -> str:
    """One style of numbers in every document: 3,000."""
    return f"{int(n):,}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@functools.cache
def _sandbox() -> Any:
    """jinja2's immutable sandbox, with a shortcut for the plain dicts of our contexts.

    ``{{ p.name }}`` on a dict makes the sandbox try ``getattr(p, "name")``, catch the
    AttributeError and then return ``p["name"]``: an exception per lookup, tens of
    thousands in a mail merge. For an exact ``dict`` and a name that is not one of
    dict's own attributes, that attribute lookup can only fail, so going straight to
    the item returns what the sandbox would, without the exception. Everything else
    (dict methods, dunders, other types) takes the sandbox's own path.

    ``loop.index`` and ``loop.last`` on jinja2's own loop object are safe by the
    sandbox's rules (public names of a type that is neither callable internals nor
    a known mutable), so they are read directly too, saving the sandbox's checks.

    A call of one of the template's own macros (ten a letter) is safe by the same
    rules, and is made as jinja2's context would make it (a macro takes the eval
    context first, and not the loop's or block's variables jinja2 passes on inside
    them), without the checks the sandbox runs for any other callable.
    """
    from jinja2.runtime import LoopContext, Macro
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    dict_attributes = frozenset(dir(dict))
    loop_attributes = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                                 "length", "depth", "depth0", "previtem", "nextitem"})

    class CampaignSandbox(ImmutableSandboxedEnvironment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            kind = type(obj)
            if kind is dict and attribute not in dict_attributes:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            elif kind is LoopContext and attribute in loop_attributes:
                return getattr(obj, attribute)
            return super().getattr(obj, attribute)

        def call(__self, __context: Any, __obj: Any, *args: Any,  # noqa: N805
                 **kwargs: Any) -> Any:
            if type(__obj) is Macro:
                if kwargs:  # inside a loop or a block jinja2 passes its variables on,
                    # for a callable that takes the context; a macro does not
                    kwargs.pop("_loop_vars", None)
                    kwargs.pop("_block_vars", None)
                return __obj(__context.eval_ctx, *args, **kwargs)
            return super().call(__context, __obj, *args, **kwargs)

    return CampaignSandbox


def cache_dir() -> Path | None:
    """Where compiled templates are kept between runs; None keeps none.

    ``CAMPAIGN_CACHE`` names the directory (``off`` for no cache); the default is
    the user's cache directory. Compiling a letter template takes longer than
    rendering a hundred letters with it, and a command is a new process each time.
    """
    env = os.environ.get("CAMPAIGN_CACHE")
    if env is not None:
        if env.strip().casefold() in ("", "off", "0", "no"):
            return None
        expanded = os.path.expanduser(env)
        if expanded.startswith("~"):  # ~nouser: never a directory of that name, made here
            _warn_once(f"not using the compiled-template cache CAMPAIGN_CACHE={env}: no user "
                       f"called '{expanded.split(os.sep, 1)[0][1:]}'; templates are compiled "
                       "afresh (write the path in full)")
            return None
        return Path(expanded)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("campaign", appauthor=False)) / "templates"


@functools.cache
def _compiled_cache() -> Any:
    """jinja2's file cache of compiled templates, made safe to fail and keyed by settings.

    jinja2 keys a compiled template by its name and file and checks its source,
    but not the environment it was compiled for: trim_blocks or the sandbox
    change the code generated. So the key also carries a fingerprint of those
    settings and of the versions. A cache is only a shortcut: a cache file that
    cannot be read or written is compiled again, never an error.
    """
    from jinja2 import FileSystemBytecodeCache

    class CompiledTemplates(FileSystemBytecodeCache):
        def __init__(self, directory: Path, fingerprint: str) -> None:
            super().__init__(str(directory), "template-%s.cache")
            self.fingerprint = fingerprint

        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return str(super().get_cache_key(f"{self.fingerprint}|{name}", filename))

        def load_bytecode(self, bucket: Any) -> None:
            """Load only a regular file of the user's that nobody else could have written:
            a cache file is code that runs outside the sandbox."""
            filename = self._get_cache_filename(bucket)
            try:
                # O_NONBLOCK: a FIFO of that name would otherwise block the open until
                # something writes to it; fstat then refuses it as not a regular file.
                fd = os.open(filename, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
            except OSError:
                return
            try:
                with os.fdopen(fd, "rb") as fh:
                    why = _unsafe(os.fstat(fh.fileno()), "file")
                    if why:
                        _warn_once(f"not using the compiled template {filename}: {why}; "
                                   "templates are compiled afresh")
                        return
                    bucket.load_bytecode(fh)
            except Exception:  # noqa: BLE001 - truncated, garbage (UnpicklingError...):
                bucket.reset()   # a cache is a shortcut; the template is compiled again

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return CompiledTemplates


def _unsafe(st: os.stat_result, what: str) -> str | None:
    """Why a cache directory or file may not be trusted (None if it may), as jinja2's own
    default cache directory is checked: the user's, and writable by nobody else."""
    import stat

    if what == "file" and not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return "it belongs to another user"
    if st.st_mode & 0o022:
        return "other users can write to it"
    return None


_warned: set[str] = set()


def _warn_once(text: str) -> None:
    """One warning per process, however many templates a command renders."""
    if not _warned:
        import sys

        _warned.add(text)
        print(f"campaign: warning: {text}", file=sys.stderr)


def _safe_cache_dir(directory: Path) -> bool:
    """A directory not made yet is made owner-only when the first template is kept."""
    try:
        st = os.stat(directory)
    except OSError:
        return True  # absent, or unusable: writing to it fails quietly
    why = _unsafe(st, "directory")
    if why:
        _warn_once(f"not using the compiled-template cache {directory}: {why}; templates "
                   "are compiled afresh (make it yours and mode 700, or set CAMPAIGN_CACHE)")
    return why is None


def _fingerprint(env: Any) -> str:
    import jinja2

    from campaign import __version__

    settings = [type(env).__name__, env.sandboxed, env.trim_blocks, env.lstrip_blocks,
                env.keep_trailing_newline, env.newline_sequence, env.autoescape, env.optimized,
                env.block_start_string, env.block_end_string, env.variable_start_string,
                env.variable_end_string, env.comment_start_string, env.comment_end_string,
                env.line_statement_prefix, env.line_comment_prefix, sorted(env.extensions),
                env.undefined.__name__,
                # finalize is compiled into the template's code
                getattr(env.finalize, "__qualname__", None)]
    return f"campaign {__version__}, jinja2 {jinja2.__version__}, {settings!r}"


def escapes_records(name: str) -> bool:
    """Whether a template's ``{{ … }}`` output is escaped as Markdown (the letters'
    templates: every value they print is record text or composed from it, and a
    contact named ``[x](javascript:…)`` must stay text). The motion and the
    announcement escape in their own code, field by field."""
    base = Path(name).name
    return base.startswith("letter-") and base.endswith(".md.j2")


def _macros_say_markdown() -> None:
    """A macro's output in an escaping template is Markdown already: every ``{{ … }}``
    inside it was escaped as it was printed, and the rest is the template's own text.
    Printed again (``{{ why_now() }}``, a paragraph chosen by name), the finaliser must
    not escape it a second time, which would turn the template's own ``**bold**`` and
    every escaped character into visible backslashes. jinja2 marks a macro's output
    only when autoescaping HTML, so its ``Macro._invoke`` is wrapped once: in an
    environment whose finaliser is the Markdown one, the output is ``Markdown``."""
    from jinja2.runtime import Macro

    if getattr(Macro, "_campaign_markdown", False):
        return
    from campaign.formats.markdown import Markdown, finalize

    invoke = Macro._invoke

    def _invoke(self: Any, arguments: list[Any], autoescape: bool) -> Any:
        out = invoke(self, arguments, autoescape)
        if type(out) is str and getattr(self._environment, "finalize", None) is finalize:
            return Markdown(out)
        return out

    Macro._invoke = _invoke  # type: ignore[method-assign]
    Macro._campaign_markdown = True  # type: ignore[attr-defined]


def _environment(user_dir: str | Path | None, name: str = "") -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined

    options: dict[str, Any] = {}
    if escapes_records(name):
        from campaign.formats.markdown import finalize

        options["finalize"] = finalize
        _macros_say_markdown()
    env = _sandbox()(
        loader=FileSystemLoader([str(d) for d in search_path(user_dir)]),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )
    env.filters["human_date"] = dates.human
    env.filters["month_year"] = dates.month_year
    env.filters["ordinal"] = ordinal
    env.filters["number"] = number
    if escapes_records(name):
        from campaign.formats.markdown import Markdown

        # `| md`: text the template composed itself (a macro's output, trimmed), which is
        # Markdown already; the finaliser prints it as it is.
        env.filters["md"] = Markdown
    directory = cache_dir()
    if directory is not None and _safe_cache_dir(directory):
        env.bytecode_cache = _compiled_cache()(directory, _fingerprint(env))
    return env


def render(name: str, context: dict[str, Any], user_dir: str | Path | None = None) -> str:
    """Render a template by file name; any template fault becomes a TemplateError."""
    import jinja2
    from jinja2.sandbox import SecurityError

    path = locate(name, user_dir)
    env = _environment(user_dir, name)
    try:
        template = env.get_template(name)
        return str(template.render(**context))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or path}, line {exc.lineno}: {exc.message}",
                            "fix the template syntax") from None
    except SecurityError as exc:
        raise TemplateError(f"{path}{_line(exc.__traceback__, path)}: unsafe operation "
                            f"refused by the sandbox ({exc})",
                            "templates may only use the document's data") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{path}{_line(exc.__traceback__, path)}: {exc.message}",
                            "use only the variables the document provides "
                            "(see `campaign templates show`)") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{path}{_line(exc.__traceback__, path)}: {exc}") from None
    except (TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
        raise TemplateError(f"{path}{_line(exc.__traceback__, path)}: {exc}") from None


def _line(tb: TracebackType | None, path: Path) -> str:
    """jinja2 rewrites tracebacks to point into the template: report the last such line."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (str(path), path.name) or (
            tb.tb_frame.f_code.co_filename.endswith(path.name)
        ):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


def renderer(name: str, user_dir: str | Path | None = None) -> Callable[[dict[str, Any]], str]:
    """A template compiled once and rendered for many contexts (a mail merge of 705 letters).

    Same search path, sandbox and strictness as ``render``; a fault while rendering
    is re-run through ``render`` so it is reported the same way (file and line).
    """
    import jinja2

    locate(name, user_dir)
    env = _environment(user_dir, name)
    try:
        template = env.get_template(name)
    except jinja2.TemplateError:
        render(name, {}, user_dir)  # raises the TemplateError naming the file and line
        raise

    def run(context: dict[str, Any]) -> str:
        try:
            return str(template.render(**context))
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, ZeroDivisionError):
            render(name, context, user_dir)
            raise

    return run
