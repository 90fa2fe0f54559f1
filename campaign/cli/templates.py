"""campaign templates: list, show and copy the templates documents are rendered from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from campaign.cli.common import FormatOpt, TemplatesOpt
from campaign.output import Format

templates_app = typer.Typer(help="The templates documents are rendered from: list, show, copy.",
                            no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Template file name, e.g. resolution.md.j2.")]


@templates_app.command("list")
def list_(templates: TemplatesOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every template, and whether yours or the built-in one is used."""
    from campaign.documents.templates import available
    from campaign.output import emit

    emit(available(templates), fmt, [("name", "name"), ("origin", "origin"), ("path", "path")])


# The documents whose context can be shown: template name -> (module, builder).
DOCUMENTS = {
    "resolution.md.j2": ("campaign.documents.resolution", "resolution_context"),
    "picket.md.j2": ("campaign.documents.picket", "picket_context"),
    "picket.typ": ("campaign.documents.picket", "picket_context"),
    "announcement.md.j2": ("campaign.documents.announcement", "announcement_context"),
}


def _locate(name: str, user_dir: str | None) -> Path:
    """The template's file; a miss suggests the nearest template names.

    Only a template is read: a plain file name found in a template directory,
    never a path ('../../etc/passwd') nor a link that leads out of its directory.
    """
    from campaign.documents.templates import locate
    from campaign.errors import UsageError

    if not name or name in (".", "..") or any(c in name for c in "/\\\x00"):
        raise UsageError(f"'{name}' is not a template name",
                         "give a name from `campaign templates list`")
    path = locate(name, user_dir)
    if not path.resolve().is_relative_to(path.parent.resolve()):
        raise UsageError(f"the template {path} is a link to a file outside its directory",
                         "copy the file into the template directory instead")
    return path


def _shape(value: Any, name: str, out: list[str]) -> None:
    """'notes.prisoners[]: name, status_text, ...' lines: the structure, not the data."""
    if isinstance(value, dict):
        scalars = [k for k, v in value.items() if not isinstance(v, (dict, list))]
        if scalars:
            out.append(f"{name or '(top)'}: " + ", ".join(scalars))
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                _shape(v, f"{name}.{k}" if name else k, out)
    elif isinstance(value, list):
        first = next((v for v in value if v is not None), None)
        if isinstance(first, (dict, list)):
            _shape(first, f"{name}[]", out)
        else:
            out.append(f"{name}[]: list")


def _variables(ctx: typer.Context, name: str, path: Path, text: str) -> list[str]:
    lines: list[str] = []
    if name in DOCUMENTS:
        import importlib

        from campaign.cli.common import store

        module, builder = DOCUMENTS[name]
        context = getattr(importlib.import_module(module), builder)(store(ctx))
        lines.append("the document provides:")
        shape: list[str] = []
        _shape(context, "", shape)
        lines += ["  " + s for s in shape]
    if path.name.endswith(".j2"):
        import jinja2
        from jinja2 import meta

        env = jinja2.Environment()
        env.filters.update(dict.fromkeys(("human_date", "month_year", "ordinal"), str))
        try:
            used = meta.find_undeclared_variables(env.parse(text))
        except jinja2.TemplateError:
            used = set()
        if used:
            lines.append("the template uses: " + ", ".join(sorted(used)))
    return lines


@templates_app.command()
def show(
    ctx: typer.Context,
    name: NameArg,
    templates: TemplatesOpt = None,
    source_only: Annotated[bool, typer.Option(
        "--source-only", help="Only the template's text, without the list of variables.")
    ] = False,
) -> None:
    """Print a template's source and the variables its document provides."""
    path = _locate(name, templates)
    text = path.read_text(encoding="utf-8")
    typer.echo(text, nl=not text.endswith("\n"))
    if source_only:
        return
    typer.echo(f"\n----- {path}")
    for line in _variables(ctx, path.name, path, text):
        typer.echo(line)


@templates_app.command()
def copy(
    name: NameArg,
    directory: Annotated[str, typer.Argument(
        help="Your template directory (made, owner-only, if it does not exist).")],
    templates: TemplatesOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Copy a template into DIR to edit it; use it with --templates DIR."""
    from campaign.errors import OutputError
    from campaign.files import check_writable_dir, expand_user, write_atomic

    source = _locate(name, templates)
    target_dir = Path(expand_user(directory))
    if not target_dir.exists() and not target_dir.is_symlink():
        try:  # one level, as `mkdir` would: a typo in a parent is not made into a tree
            target_dir.mkdir(mode=0o700)
        except FileNotFoundError:
            raise OutputError(f"the directory {target_dir.parent} does not exist",
                              "create it first, or give another directory") from None
        except OSError as exc:
            raise OutputError(f"cannot create {target_dir} ({exc.strerror})",
                              "give another directory") from None
    check_writable_dir(target_dir)
    target = target_dir / source.name
    if target.resolve() == source.resolve():
        raise OutputError(f"{target} is the template itself", "copy it to another directory")
    if target.exists() and not force:
        raise OutputError(f"{target} already exists", "add --force to overwrite it")
    write_atomic(target, source.read_bytes())
    typer.echo(f"copied {source.name} to {target}; use it with --templates {target_dir}")

