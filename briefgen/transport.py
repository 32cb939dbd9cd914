"""Where messages go: an SMTP server (one connection for a batch) or the outbox folder.

Failures are sorted the way the delivery loop needs them:

- ``transient``: try again later (connection refused or lost before the message was complete,
  a 4xx reply);
- ``permanent``: this recipient will not get it this way (a 5xx reply);
- ``uncertain``: the message was complete (the final ".") but no answer came back, so the
  server may have accepted it;
- ``fatal`` (with any of the above): the batch cannot go on (authentication, TLS).

The SMTP conversation is smtplib's, except the DATA step: the body is sent first, then
``ready()`` is called (the ledger records the point of no return), then the final ".".
A crash or a lost connection before the "." leaves nothing at the server (RFC 5321 §4.1.1.4:
a message is delivered only once the "." has been answered with 250).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from .write import atomic_write

if TYPE_CHECKING:
    from .mailconfig import SmtpSettings

__all__ = ["DeliveryError", "Envelope", "Outbox", "SmtpTransport", "Transport", "redact"]

Kind = Literal["transient", "permanent", "uncertain"]


class DeliveryError(Exception):
    def __init__(self, detail: str, kind: Kind, *, fatal: bool = False, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind
        self.fatal = fatal
        self.code = code
        #: Raised while connecting: the next recipient would fare no better.
        self.connecting = False


@dataclass(frozen=True)
class Envelope:
    sender: str  # a bare address, for MAIL FROM
    recipient: str  # a bare address, for RCPT TO
    brief_id: str


class Transport(Protocol):
    channel: str
    #: Where messages go, for the ledger and the summary (never with credentials).
    destination: str
    #: Delivering the same message twice leaves one copy (the outbox overwrites its file).
    replayable: bool

    def deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        """Deliver ``data``; call ``ready()`` just before the point of no return; return the
        server's reply (or where the message went)."""
        ...

    def scrub(self, text: str) -> str:
        """``text`` (a server's reply, an error) with the credentials blotted out, in any encoding."""
        ...

    def close(self) -> None: ...


def auth_forms(username: str | None, password: str | None) -> list[str]:
    """What an SMTP login puts on the wire that gives the password away: the password itself
    (AUTH LOGIN sends it alone, base64'd) and the AUTH PLAIN string ``[authzid]\\0user\\0password``."""
    if not password:
        return []
    forms = [password]
    if username:
        forms += [f"\0{username}\0{password}", f"{username}\0{username}\0{password}"]
    return forms


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def _encodings(secret: str) -> list[str]:
    """base64 of ``secret`` at each of the three alignments it can have inside a longer
    encoded string, without padding: any piece of an encoded secret is a substring of one."""
    import base64

    data = secret.encode()
    out = []
    for shift, lead in ((0, 0), (1, 2), (2, 3)):  # characters that mix in the bytes before it
        encoded = base64.b64encode(b"\0" * shift + data).decode().rstrip("=")
        tail = 1 if (shift + len(data)) % 3 else 0  # the last character mixes with what follows
        out.append(encoded[lead : len(encoded) - tail])
    return out


def _decodes_to_secret(token: str, secrets: Sequence[str]) -> bool:
    import base64
    import binascii

    body = token.rstrip("=")
    for skip in range(4):
        piece = body[skip:]
        piece = piece[: len(piece) - len(piece) % 4] if len(piece) % 4 == 1 else piece
        try:
            decoded = base64.b64decode(piece + "=" * (-len(piece) % 4))
        except (binascii.Error, ValueError):
            continue
        if any(s.encode() in decoded for s in secrets if len(s) >= 4):
            return True
    return False


def redact(text: str, secrets: Sequence[str], *, encoded_only: Sequence[str] = ()) -> str:
    """``text`` with every secret blotted out: as itself, base64'd (as AUTH sends it), and any
    piece of 8 or more base64 characters of such an encoding (a reply that echoes part of an
    AUTH line, or wraps it over lines). ``encoded_only``: strings to blot out only in base64
    (a login name is no secret, its base64 in an AUTH LOGIN echo is part of the exchange)."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
    encodings = [e for s in [*secrets, *(u for u in encoded_only if u)] for e in _encodings(s) if e]

    def scrub(match: re.Match[str]) -> str:
        token = match[0]
        core = token.rstrip("=")
        if any(core in e for e in encodings) or _decodes_to_secret(token, secrets):
            return "********"
        return token

    return _BASE64_RUN.sub(scrub, text)


# --------------------------------------------------------------------------- outbox


class Outbox:
    """Messages written as ``<outbox>/<brief id>/<recipient>.eml``, one file per message."""

    channel = "outbox"
    replayable = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.destination = str(folder)

    def path_for(self, envelope: Envelope) -> Path:
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", envelope.recipient)
        return self.folder / envelope.brief_id / f"{safe}.eml"

    def deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        path = self.path_for(envelope)
        ready()
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise DeliveryError(f"cannot write {path}: {exc.strerror}", "permanent", fatal=True) from None
        return f"written to {path}"

    def scrub(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- SMTP


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def _refused(code: int, message: bytes | str, step: str) -> DeliveryError:
    return DeliveryError(f"{step}: {_reply(code, message)}", _kind(code), code=code)


def _quote_periods(data: bytes) -> bytes:
    """Dot-stuffing (RFC 5321 §4.5.2), with the CRLF line ends the SMTP policy produced."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class SmtpTransport:
    """One connection for the whole batch, opened on first use and again after a drop."""

    channel = "smtp"
    replayable = False

    def __init__(self, settings: SmtpSettings, *, secrets: Sequence[str] = ()) -> None:
        self.settings = settings
        self.destination = settings.url
        password = settings.password.reveal() if settings.password else None
        self._secrets = [*secrets, *auth_forms(settings.username, password)]
        self._username = settings.username or ""
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0

    # ---------------------------------------------------------------- connecting

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(self.settings.ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise DeliveryError(
                    f"cannot load ca_file {self.settings.ca_file}: {exc}", "permanent", fatal=True
                ) from None
        return context

    def _connect(self) -> smtplib.SMTP:
        """A connection, logged in; every failure's text scrubbed of the credentials (a server
        may echo the AUTH line in its refusal)."""
        try:
            return self._open()
        except DeliveryError as exc:
            exc.detail = self._safe(exc.detail)
            exc.args = (exc.detail,)
            raise

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        where = self.destination
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{where} does not offer STARTTLS (security = starttls)", "permanent", fatal=True
                    )
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if s.username:
                password = s.password.reveal() if s.password else ""
                smtp.login(s.username, password)
        except DeliveryError:
            _close_quietly(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(smtp)
            detail = f"{where}: authentication failed for {s.username}: {_reply(exc.smtp_code, exc.smtp_error)}"
            raise DeliveryError(self._safe(detail), "permanent", fatal=True) from None
        except ssl.SSLCertVerificationError as exc:
            _close_quietly(smtp)
            raise DeliveryError(
                f"{where}: certificate check failed: {exc.verify_message}", "permanent", fatal=True
            ) from None
        except ssl.SSLError as exc:
            _close_quietly(smtp)
            raise DeliveryError(f"{where}: TLS failed: {exc.reason or exc}", "permanent", fatal=True) from None
        except smtplib.SMTPNotSupportedError as exc:
            _close_quietly(smtp)
            raise DeliveryError(f"{where}: {exc}", "permanent", fatal=True) from None
        except smtplib.SMTPConnectError as exc:
            _close_quietly(smtp)
            raise _refused(exc.smtp_code, exc.smtp_error, f"{where} refused the connection") from None
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            error = _refused(exc.smtp_code, exc.smtp_error, f"{where}")
            error.fatal = error.kind == "permanent"
            raise error from None
        except (smtplib.SMTPException, OSError) as exc:
            _close_quietly(smtp)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            fatal = isinstance(exc, socket.gaierror)
            raise DeliveryError(f"cannot connect to {where}: {reason}", "transient", fatal=fatal) from None
        self.connections += 1
        return smtp

    def _safe(self, text: str) -> str:
        return redact(text, self._secrets, encoded_only=[self._username])

    def scrub(self, text: str) -> str:
        return self._safe(text)

    def _drop(self) -> None:
        _close_quietly(self._smtp)
        self._smtp = None

    def _reset(self) -> None:
        """End a refused transaction so the connection can carry the next message."""
        if self._smtp is None:
            return
        try:
            code, _ = self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
            return
        if code != 250:
            self._drop()

    # ---------------------------------------------------------------- sending

    def deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        try:
            return self._deliver(envelope, data, ready)
        except _IdleDrop:
            # The server closed the connection while it sat idle: reconnect, at once, once.
            return self._deliver(envelope, data, ready)

    def _deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        reused = self._smtp is not None
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except DeliveryError as exc:
                exc.connecting = True
                raise
        smtp = self._smtp
        step = "MAIL FROM"
        try:
            code, message = smtp.mail(envelope.sender)
            if code != 250:
                raise _refused(code, message, step)
            step = "RCPT TO"
            code, message = smtp.rcpt(envelope.recipient)
            if code not in (250, 251):
                raise _refused(code, message, step)
            step = "DATA"
            code, message = smtp.docmd("DATA")
            if code != 354:
                raise _refused(code, message, step)
            smtp.send(_quote_periods(data))
            if not _body_reached_server(smtp, self.settings.timeout):
                # The server hung up, or stopped taking the body in: it has no message, and a
                # "." now would be answered by nobody, which would make it look uncertain.
                raise smtplib.SMTPServerDisconnected("the server stopped taking the message in during DATA")
            try:
                ready()
            except BaseException:
                # Without the final "." the server discards what it got: hang up.
                self._drop()
                raise
            step = "end of DATA"
            smtp.send(b".\r\n")
            code, message = smtp.getreply()
        except DeliveryError as exc:
            self._drop() if exc.code == 421 else self._reset()  # 421: the server is closing the connection
            raise DeliveryError(self._safe(exc.detail), exc.kind, code=exc.code) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            if reused and step == "MAIL FROM" and isinstance(exc, smtplib.SMTPServerDisconnected):
                raise _IdleDrop from None
            reason = str(exc) or type(exc).__name__
            if step == "end of DATA":
                raise DeliveryError(
                    self._safe(f"no answer after the message was sent: {reason}"), "uncertain"
                ) from None
            raise DeliveryError(self._safe(f"connection lost at {step}: {reason}"), "transient") from None
        if code != 250:
            self._drop() if code == 421 else self._reset()
            raise DeliveryError(self._safe(_refused(code, message, step).detail), _kind(code), code=code)
        return self._safe(_reply(code, message))

    def close(self) -> None:
        if self._smtp is None:
            return
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self._smtp.quit()
        self._drop()


class _IdleDrop(Exception):
    """An idle connection turned out to be closed before anything of a message was sent."""


def _body_reached_server(smtp: smtplib.SMTP, timeout: float) -> bool:
    """Wait until the server's TCP has acknowledged every byte of the body (where the kernel
    tells: Linux), watching for a hang-up meanwhile. False if the server hung up, spoke out of
    turn (it says nothing until the final ".") or took in nothing more for ``timeout``: it has
    no message then, and going on would turn a clear retry into an "uncertain" after the ".".
    Over TLS, where unread handshake records make the socket readable, only errors count."""
    import select
    import time

    sock = smtp.sock
    if sock is None:
        return False
    tls = isinstance(sock, ssl.SSLSocket)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not tls and select.select([sock], [], [], 0)[0]:
                return False
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return False
            unsent = _unsent(sock)
        except (OSError, ValueError):
            return False
        if unsent is None or unsent == 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)


def _unsent(sock: socket.socket) -> int | None:
    """Bytes the kernel has not yet had acknowledged by the peer; None where it cannot tell."""
    try:
        import array
        import fcntl
        import termios

        out = array.array("i", [0])
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, out, True)
    except (ImportError, AttributeError, OSError):
        return None
    return int(out[0])


def _kind(code: int) -> Kind:
    return "transient" if 400 <= code < 500 else "permanent"


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    with contextlib.suppress(OSError):
        smtp.close()
