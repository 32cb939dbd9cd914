"""The SMTP channel: one connection for a batch, failures sorted the way the ledger needs them."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from briefgen.deliver.channel import DeliveryError, Envelope, Kind
from briefgen.deliver.redact import auth_forms, redact

if TYPE_CHECKING:
    from briefgen.deliver.mail import SmtpSettings

__all__ = ["SmtpTransport"]


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
