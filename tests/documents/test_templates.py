"""The template sandbox: the dict shortcut returns exactly what jinja2's sandbox would."""

from __future__ import annotations

import keyword

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from campaign.documents.templates import _environment

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
