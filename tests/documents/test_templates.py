"""The template sandbox (the dict shortcut returns exactly what jinja2's sandbox would),
and the cache of compiled templates."""

from __future__ import annotations

import keyword
import os
import stat
import sys
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from campaign.documents.templates import (
    _compiled_cache,
    _environment,
    _fingerprint,
    cache_dir,
    render,
    renderer,
)
from campaign.errors import TemplateError

NAMES = st.one_of(
    st.sampled_from(sorted(dir(dict))),  # dict's own attributes, dunders included
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
).filter(lambda n: not keyword.iskeyword(n) and n not in ("true", "false", "none",
                                                            "True", "False", "None"))


def outcome(env: jinja2.Environment, source: str, **ctx: object) -> tuple[str, str]:
    try:
        return ("ok", env.from_string(source).render(**ctx))
    except Exception as exc:  # compare the kind of failure too
        return ("error", type(exc).__name__)


@given(NAMES, st.dictionaries(NAMES, st.text(max_size=5), max_size=4))
def test_dot_lookup_matches_the_stock_sandbox(name: str, data: dict[str, str]) -> None:
    ours = _environment(None)
    stock = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    source = "{{ d." + name + " }}"
    for d in (data, {**data, name: "value"}):
        assert outcome(ours, source, d=d) == outcome(stock, source, d=d), (name, d)


LOOP_USES = st.sampled_from([
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0",
    "previtem", "nextitem", "cycle('a', 'b')", "changed(x)", "__class__", "_iterator",
    "_after", "nosuch", "__init__.__globals__",
])


@given(LOOP_USES, st.lists(st.integers(0, 3), max_size=4))
def test_loop_attributes_match_the_stock_sandbox(use: str, items: list[int]) -> None:
    ours = _environment(None)
    stock = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    source = "{% for x in items %}[{{ loop." + use + " }}]{% endfor %}"
    assert outcome(ours, source, items=items) == outcome(stock, source, items=items), use


def test_dict_methods_and_dunders_still_go_through_the_sandbox() -> None:
    env = _environment(None)
    with pytest.raises(SecurityError):
        env.from_string("{{ d.update({'a': 1}) }}").render(d={"a": 0})
    with pytest.raises(SecurityError):
        env.from_string("{{ d.__class__.__subclasses__() }}").render(d={"__class__": 1})
    assert env.from_string("{{ d.items() | list }}").render(d={"a": 1}) == "[('a', 1)]"
    assert env.from_string("{{ d.title }}").render(d={"title": "Zhanaozen"}) == "Zhanaozen"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ d.titel }}").render(d={"title": "Zhanaozen"})



MACRO_CALLS = st.sampled_from([
    "m(x)", "m(x, sep='; ')", "m(sep='|', v=x)", "m()", "m(x, 1, 2)", "m(x, nosuch=1)",
    "m(x, caller=1)", "m.name", "m.arguments", "m.__call__(x)", "m._func",
    "m.__init__.__globals__",
])


@given(MACRO_CALLS, st.lists(st.integers(0, 3), max_size=3), st.booleans(), st.booleans())
def test_macro_calls_match_the_stock_sandbox(call: str, items: list[int],
                                             in_loop: bool, in_block: bool) -> None:
    """A template's own macro, called with or without keywords, inside a loop or a
    block (where jinja2 passes their variables on) or not, prints or fails exactly as
    with jinja2's own sandbox: the shortcut for macros changes nothing but the time."""
    ours = _environment(None)
    stock = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    define = "{% macro m(v='-', sep=', ') %}<{{ v }}{{ sep }}{{ varargs | length }}>" \
             "{% endmacro %}"
    use = "{{ " + call + " }}"
    body = "{% for x in items %}" + use + "{% endfor %}" if in_loop \
        else "{% set x = items | length %}" + use
    if in_block:
        body = "{% block b %}" + body + "{% endblock %}"
    source = define + body
    assert outcome(ours, source, items=items) == outcome(stock, source, items=items), call


# -- the cache of compiled templates ------------------------------------------------


def _user_template(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "my-templates"
    folder.mkdir(exist_ok=True)
    (folder / "note.md.j2").write_text(text, encoding="utf-8")
    return folder


def _cache_files() -> list[Path]:
    return sorted(Path(os.environ["CAMPAIGN_CACHE"]).glob("template-*.cache"))


def test_a_compiled_template_is_kept_owner_only_and_reused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _user_template(tmp_path, "Solidarity with {{ who }}.\n")
    assert render("note.md.j2", {"who": "the oil workers"}, folder) == \
        "Solidarity with the oil workers.\n"
    [cached] = _cache_files()
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE(cached.parent.stat().st_mode) == 0o700

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compiling)
    assert renderer("note.md.j2", folder)({"who": "Zhanaozen"}) == "Solidarity with Zhanaozen.\n"


def test_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    folder = _user_template(tmp_path, "Before: {{ who }}\n")
    assert render("note.md.j2", {"who": "x"}, folder) == "Before: x\n"
    _user_template(tmp_path, "After: {{ who }}\n")
    assert render("note.md.j2", {"who": "x"}, folder) == "After: x\n"


def test_the_sandbox_holds_for_a_cached_template(tmp_path: Path) -> None:
    for text, who in (("{{ who.__class__.__mro__ }}\n", "x"),
                      ("{{ who.update({'b': 2}) }}\n", {"a": 1})):
        folder = _user_template(tmp_path, text)
        for _ in range(2):  # compiled, then from the cache
            with pytest.raises(TemplateError, match="unsafe operation refused by the sandbox"):
                render("note.md.j2", {"who": who}, folder)
        assert _cache_files()


def test_a_corrupt_cache_file_is_compiled_again(tmp_path: Path) -> None:
    folder = _user_template(tmp_path, "Hello {{ who }}\n")
    render("note.md.j2", {"who": "x"}, folder)
    for junk in (b"", b"j2\x80garbage", b"\x00" * 64):
        for f in _cache_files():
            f.write_bytes(junk)
        assert render("note.md.j2", {"who": "y"}, folder) == "Hello y\n"


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("CAMPAIGN_CACHE", str(blocker / "cache"))
    folder = _user_template(tmp_path, "Hello {{ who }}\n")
    assert render("note.md.j2", {"who": "x"}, folder) == "Hello x\n"


@pytest.mark.parametrize("value", ["off", "OFF", ""])
def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     value: str) -> None:
    monkeypatch.setenv("CAMPAIGN_CACHE", value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() is None
    render("note.md.j2", {"who": "x"}, _user_template(tmp_path, "Hello {{ who }}\n"))
    assert not (tmp_path / "home").exists() and not (tmp_path / "xdg").exists()


def test_the_default_cache_is_in_the_user_cache_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMPAIGN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache_dir() == tmp_path / "xdg" / "campaign" / "templates"


def test_the_key_carries_the_environment_settings(tmp_path: Path) -> None:
    """A template compiled with other settings (trim_blocks, the sandbox) is another entry."""
    ours = _environment(None)
    other = _environment(None)
    other.trim_blocks = False
    assert _fingerprint(ours) != _fingerprint(other)
    cache = _compiled_cache()
    a, b = cache(tmp_path, _fingerprint(ours)), cache(tmp_path, _fingerprint(other))
    assert a.get_cache_key("x.md.j2", "/t/x.md.j2") != b.get_cache_key("x.md.j2", "/t/x.md.j2")
