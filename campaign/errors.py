"""One exception hierarchy for the whole toolkit.

The library raises these; the CLI has a single handler that turns them into
one line on stderr and an exit code (copier's pattern). Every message says
what was wrong and, where we can tell, how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence


class CampaignError(Exception):
    """A failure the user can act on. ``exit_code`` 1 = failed command."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class UsageError(CampaignError):
    """Wrong usage of a command: a bad option value, a missing argument."""

    exit_code = 2


class NotFoundError(CampaignError):
    """An unknown name or id; carries the nearest names as suggestions."""

    def __init__(
        self, what: str, name: str, suggestions: Sequence[str] = (), hint: str | None = None
    ) -> None:
        if suggestions:
            shown = ", ".join(f"'{s}'" for s in suggestions)
            hint = hint or f"did you mean {shown}?"
        super().__init__(f"no {what} called '{name}'", hint)
        self.suggestions = list(suggestions)


class InputError(CampaignError):
    """A malformed input file: names the file, and the line or field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path:
            where = path
            if line is not None:
                where += f", line {line}"
        if field:
            where += (": " if where else "") + f"field '{field}'"
        super().__init__(f"{where}: {message}" if where else message, hint)
        self.path = path
        self.line = line
        self.field = field


class ValidationError(CampaignError):
    """A record that breaks a rule of the store (no source, duplicate name...)."""


class StoreError(CampaignError):
    """The store file cannot be opened, read or written."""


class TemplateError(CampaignError):
    """A template that does not parse or uses an unknown variable."""


class NetworkError(CampaignError):
    """A server that cannot be reached or answers with something unusable."""


class OutputError(CampaignError):
    """An output file or directory that cannot be written."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP), raised where the program was so that it unwinds as for Ctrl-C.

    A KeyboardInterrupt so that every clean-up written for Ctrl-C (the store's
    rollback, the removal of temporary files and staging directories) runs for it too.
    ``exit_code`` is the shell's convention, 128 + the signal's number (143 for SIGTERM).
    """

    def __init__(self, signum: int = 15) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum


class PersonDiedError(CampaignError):
    """A letter to a person the sources report dead: refused (their family can be written to)."""


class PersonReleasedError(CampaignError):
    """A prison letter to a person reported released: needs its own flag to go ahead."""


class LanguageError(CampaignError):
    """A document asked for in a language it has no template for."""


class DraftExistsError(OutputError):
    """A file that holds a different draft would be overwritten."""
