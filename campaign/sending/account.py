"""The sender's mail account: where to connect, how to log in, and the password.

The settings (host, port, user, security) are saved with the profile; the password
never is. It comes from ``CAMPAIGN_SMTP_PASSWORD``, else the system keyring when the
``keyring`` package is installed (service ``campaign-smtp``, user ``USER@HOST``), else
a hidden prompt on a terminal. It is held in memory for the run only, and no message
this module (or the sender) makes ever contains it: smtplib's own errors carry the
server's words, not ours, and they are reported as the server's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from campaign.errors import CampaignError, UsageError

PASSWORD_ENV = "CAMPAIGN_SMTP_PASSWORD"
KEYRING_SERVICE = "campaign-smtp"
PROFILE_KEYS = ("smtp_host", "smtp_port", "smtp_user", "smtp_security")


class Security(StrEnum):
    """How the connection is protected: STARTTLS on a plain port (587), TLS from the
    first byte (465), or nothing (a relay on this machine only)."""

    starttls = "starttls"
    ssl = "ssl"
    none = "none"


DEFAULT_PORT = {Security.starttls: 587, Security.ssl: 465, Security.none: 25}


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    user: str | None
    security: Security
    insecure: bool = False  # accept a certificate that does not verify (the user asked)

    def where(self) -> str:
        return f"{self.host}:{self.port}"


def check_host(host: str) -> str:
    host = host.strip()
    if not host or any(c.isspace() or c in "/@" for c in host):
        raise UsageError(f"'{host}' is not a mail server's name",
                         "give a host name such as smtp.example.org (no user or path)")
    return host


def check_port(port: str | int) -> int:
    try:
        value = int(port)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 65535:
        raise UsageError(f"'{port}' is not a port number", "give a number such as 587")
    return value


def account_from(profile: Mapping[str, str], *, host: str | None = None,
                 port: int | None = None, user: str | None = None,
                 security: Security | None = None, insecure: bool = False) -> Account:
    """The saved settings with this run's ``--smtp-*`` options over them."""
    host = host or profile.get("smtp_host")
    if not host:
        raise CampaignError(
            "no mail server is set",
            "save yours with `campaign profile set --smtp-host smtp.example.org --smtp-user "
            "you@example.org` (or give --smtp-host for this run)")
    sec = security or Security(profile.get("smtp_security") or Security.starttls)
    saved_port = profile.get("smtp_port")
    return Account(
        host=check_host(host),
        port=check_port(port if port is not None else (saved_port or DEFAULT_PORT[sec])),
        user=(user if user is not None else profile.get("smtp_user")) or None,
        security=sec, insecure=insecure)


def _from_keyring(account: Account) -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        found = keyring.get_password(KEYRING_SERVICE, f"{account.user}@{account.host}")
    except Exception:  # no usable backend (a headless machine): the next place is asked
        return None
    return found or None


def password_for(account: Account, *, environ: Mapping[str, str] | None = None,
                 prompt: Callable[[str], str] | None = None,
                 interactive: bool | None = None) -> str | None:
    """The password for ``account`` (None when it logs in as nobody), from the
    environment, the keyring or a hidden prompt, in that order."""
    if not account.user:
        return None
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    found = _from_keyring(account)
    if found:
        return found
    import sys

    if interactive is None:
        interactive = sys.stdin.isatty()
    if not interactive:
        raise CampaignError(
            f"no password for {account.user} on {account.host}",
            f"set {PASSWORD_ENV}, save it in the system keyring (service "
            f"'{KEYRING_SERVICE}', user '{account.user}@{account.host}'), or run on a terminal "
            "to be asked")
    if prompt is None:
        import getpass

        prompt = getpass.getpass
    return prompt(f"Password for {account.user} on {account.host}: ")
