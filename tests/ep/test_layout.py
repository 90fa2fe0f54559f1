"""The EP code is one package whose modules import each other in one direction only."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import campaign
import campaign.ep

# Each module may import only those before it.
ORDER = ["parse", "net", "fetch", "bodies", "members"]
PACKAGE = Path(campaign.ep.__file__).parent


def _imports_of(name: str) -> set[str]:
    """The campaign.ep modules a module imports, at the top or inside functions."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "campaign.ep":
                found |= {a.name for a in node.names}
            elif node.module.startswith("campaign.ep."):
                found.add(node.module.split(".")[2])
            elif node.module == "campaign":
                found |= {"__init__" for a in node.names if a.name == "ep"}
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("campaign.ep"):
                    found.add(a.name.split(".")[2] if a.name.count(".") > 1 else "__init__")
    return found


def test_the_modules_import_in_one_direction() -> None:
    assert sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__") == sorted(ORDER)
    for n, name in enumerate(ORDER):
        later = _imports_of(name) - set(ORDER[:n])
        assert not later, f"campaign.ep.{name} imports {sorted(later)}, which come after it"


def test_the_old_top_level_modules_are_gone() -> None:
    for old in ("campaign.ep_parse", "campaign.ep_bodies"):
        assert importlib.util.find_spec(old) is None
    assert Path(campaign.ep.__file__).name == "__init__.py"


def test_the_package_names_what_callers_use() -> None:
    from campaign import ep

    for name in ("fetch_meps", "fetch_details", "read_list_file", "upsert_meps", "mark_former",
                 "update_details", "check_fetch_options", "make_client", "Pace", "eta"):
        assert callable(getattr(ep, name)), name
