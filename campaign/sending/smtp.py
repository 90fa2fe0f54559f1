"""One connection to the sender's mail server, and what its answers mean for a letter.

smtplib, step by step (MAIL, RCPT, DATA) rather than ``sendmail``: the reply to DATA is
the server's word that it took the message, and it is what the outreach log keeps.
Every failure becomes one of three things the sender acts on:

- ``Temporary``: a 4xx reply or a connection that dropped; try again later;
- ``Rejected``: a 5xx reply for this message or recipient; do not try again;
- ``CampaignError``: the account cannot be used at all (login refused, no server,
  a certificate that does not verify): the run stops.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from campaign.errors import CampaignError, NetworkError
from campaign.sending.account import Account, Security

TIMEOUT = 60.0  # seconds for one reply; a server that takes longer is treated as gone


class Temporary(Exception):  # noqa: N818 - an outcome, not a bug
    """The server could not take the message now (4xx, or the connection went)."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


class Unknown(Temporary):
    """The connection went while the server was taking the message: it may have it.

    Not tried again: the letter is left ``sending`` for the user to reconcile."""


class Rejected(Exception):  # noqa: N818
    """The server refused this message for good (5xx)."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


def _words(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}".strip()


def tls_context(account: Account) -> ssl.SSLContext:
    """The system's trusted certificates; with ``insecure``, none checked (asked for)."""
    context = ssl.create_default_context()
    if account.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Capabilities:
    """What ``send --check`` reports."""

    server: str
    security: str
    auth: list[str] = field(default_factory=list)
    size: int | None = None
    smtputf8: bool = False
    logged_in: bool = False


class Connection:
    """A logged-in session; ``send`` one message at a time; ``close`` says QUIT."""

    def __init__(self, account: Account, password: str | None, *,
                 timeout: float = TIMEOUT, context: ssl.SSLContext | None = None) -> None:
        self.account = account
        self._password = password
        self._timeout = timeout
        self._context = context
        self.smtp: smtplib.SMTP | None = None
        # Where the last ``send`` got to: "data" once the message itself was on its way,
        # after which a lost connection leaves its fate unknown.
        self.phase = "idle"

    def open(self) -> Capabilities:
        """Connect, protect, log in; CampaignError (one line) when that cannot be done."""
        acc = self.account
        context = self._context or tls_context(acc)
        try:
            if acc.security is Security.ssl:
                self.smtp = smtplib.SMTP_SSL(acc.host, acc.port, timeout=self._timeout,
                                             context=context)
            else:
                self.smtp = smtplib.SMTP(acc.host, acc.port, timeout=self._timeout)
            self.smtp.ehlo()
            if acc.security is Security.starttls:
                if not self.smtp.has_extn("starttls"):
                    raise CampaignError(
                        f"{acc.where()} does not offer STARTTLS, so the password would travel "
                        "in the clear", "use --smtp-security ssl (port 465), or the server's "
                        "submission port (587)")
                self.smtp.starttls(context=context)
                self.smtp.ehlo()
            caps = Capabilities(server=acc.where(), security=acc.security.value)
            auth = self.smtp.esmtp_features.get("auth", "")
            caps.auth = auth.split()
            size = self.smtp.esmtp_features.get("size", "")
            caps.size = int(size) if size.strip().isdigit() else None
            caps.smtputf8 = self.smtp.has_extn("smtputf8")
            if acc.user:
                if not self.smtp.has_extn("auth"):
                    raise CampaignError(f"{acc.where()} does not offer to log in (no AUTH)",
                                        "check --smtp-host and --smtp-security")
                self._login(caps.auth)
                caps.logged_in = True
            return caps
        except CampaignError:
            self.abort()
            raise
        except UnicodeEncodeError:
            # smtplib sends user and password as ASCII only (its AUTH encodes them so).
            self.abort()
            raise CampaignError(f"the user or password for {acc.where()} has characters "
                                "other than ASCII, which cannot be sent to log in",
                                "use an app password (letters and digits), see the README"
                                ) from None
        except smtplib.SMTPAuthenticationError as exc:
            self.abort()
            said = _words(exc.smtp_code, exc.smtp_error)
            raise CampaignError(
                f"{acc.where()} refused the login of {acc.user} ({said})",
                "check the user and the password (big providers want an app password; see "
                "the README's Sending section); nothing was sent") from None
        except ssl.SSLCertVerificationError as exc:
            self.abort()
            raise NetworkError(
                f"the certificate of {acc.where()} does not verify ({exc.verify_message})",
                "nothing was sent; check --smtp-host, or, if you trust this server, give "
                "--smtp-insecure") from None
        except ssl.SSLError as exc:
            self.abort()
            raise NetworkError(f"no secure connection to {acc.where()} ({exc.reason or exc})",
                               "check --smtp-port and --smtp-security (ssl is usually port "
                               "465, starttls 587)") from None
        except smtplib.SMTPException as exc:
            self.abort()
            raise NetworkError(f"{acc.where()} would not start a session ({exc})",
                               "check --smtp-host, --smtp-port and --smtp-security") from None
        except OSError as exc:  # TimeoutError too
            self.abort()
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise NetworkError(f"cannot reach the mail server {acc.where()} ({why or 'timed out'})",
                               "check --smtp-host and --smtp-port, and your connection; "
                               "nothing was sent") from None

    def _login(self, offered: list[str]) -> None:
        """One login with the best method offered (smtplib's ``login`` tries each in turn
        after a refusal, and some servers hang up on the second try)."""
        assert self.smtp is not None and self.account.user
        methods = {m.upper() for m in offered}
        for mech in ("CRAM-MD5", "PLAIN", "LOGIN"):
            if mech in methods:
                break
        else:
            raise CampaignError(f"{self.account.where()} offers no login method this client "
                                f"knows ({', '.join(offered) or 'none'})",
                                "use your provider's submission server (port 587 or 465)")
        self.smtp.user, self.smtp.password = self.account.user, self._password or ""
        method = getattr(self.smtp, "auth_" + mech.lower().replace("-", "_"))
        self.smtp.auth(mech, method, initial_response_ok=True)

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> str:
        """Hand one message over; the server's reply line to DATA when it takes it.

        Raises ``Temporary`` or ``Rejected``. A refused copy to the sender (``--bcc-self``)
        does not stop the letter: the first recipient is the one that counts."""
        if self.smtp is None:
            raise Temporary("not connected")
        smtp = self.smtp
        phase = self.phase = "envelope"
        try:
            code, text = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                raise (Temporary if 400 <= code < 500 else Rejected)(_words(code, text))
            for n, rcpt in enumerate(recipients):
                code, text = smtp.rcpt(rcpt)
                if code not in (250, 251) and n == 0:
                    smtp.rset()
                    raise (Temporary if 400 <= code < 500 else Rejected)(_words(code, text))
            phase = self.phase = "data"
            code, text = smtp.data(message.as_bytes())
            if code != 250:
                raise (Temporary if 400 <= code < 500 else Rejected)(_words(code, text))
            return _words(code, text)
        except (Temporary, Rejected):
            raise
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.abort()
            why = (exc.strerror if isinstance(exc, OSError) and not isinstance(
                exc, smtplib.SMTPException) and exc.strerror else str(exc)) or "by the server"
            if phase == "data":
                raise Unknown(f"the connection was lost while the server took the message "
                              f"({why})") from None
            raise Temporary(f"the connection was lost ({why})") from None
        except smtplib.SMTPResponseException as exc:
            cls = Temporary if 400 <= exc.smtp_code < 500 else Rejected
            raise cls(_words(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPException as exc:
            self.abort()
            raise Temporary(str(exc)) from None

    def abort(self) -> None:
        """Drop the connection without waiting for a polite goodbye."""
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self.abort()

    @property
    def alive(self) -> bool:
        return self.smtp is not None
