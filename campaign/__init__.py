"""campaign — facts with sources, and the documents a solidarity campaign needs.

The library works without the CLI: ``from campaign import Store``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from campaign.store import Store

__all__ = ["Store", "__version__"]


def data_path(*parts: str) -> Path:
    """A file or folder shipped inside the package (templates, packs, contacts).

    The package is always installed as files on disk (Typst and the template
    loader need real paths anyway), so this is a plain path beside this module,
    without importlib.resources at start-up.
    """
    return Path(__file__).resolve().parent.joinpath(*parts)


def __getattr__(name: str) -> Any:
    # Lazy, so `campaign --help` does not pay for sqlite and friends.
    if name == "Store":
        from campaign.store import Store

        return Store
    raise AttributeError(name)
