"""A real SMTP server on loopback (aiosmtpd) that records what it receives and misbehaves
on request: refuse a recipient (for good or once), fail after DATA, drop the connection at MAIL,
mid-DATA or after keeping a message, die after N messages, answer slowly or hang until
released, echo the client's AUTH line in its refusal."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None
    tls: bool

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """The aiosmtpd handler. Its knobs may be turned while the server runs."""

    received: list[Received] = field(default_factory=list)
    #: RCPT TO these addresses gets this reply.
    reject: dict[str, str] = field(default_factory=dict)
    #: MAIL FROM number n (1-based, counted over the server's life) gets the connection dropped.
    drop_at_mail: set[int] = field(default_factory=set)
    #: Hang in RCPT TO (before DATA) or after the final "." for this address until released.
    hang_rcpt: str | None = None
    hang_after_data: str | None = None
    #: Keep the message for this address, then drop the connection instead of answering.
    drop_after_data: str | None = None
    hanging: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    #: Seconds to think about each message (lets two clients overlap), or about one address's.
    delay: float = 0.0
    delay_for: dict[str, float] = field(default_factory=dict)
    #: RCPT TO / end of DATA for these addresses gets this reply once (a temporary failure).
    reject_once: dict[str, str] = field(default_factory=dict)
    fail_data_once: dict[str, str] = field(default_factory=dict)
    #: Seconds before the 354 go-ahead; or hang there (once) for this address until released.
    delay_354: float = 0.0
    hang_354: str | None = None
    #: For these addresses (once each): read a few lines of the body, then drop the connection.
    drop_mid_data: set[str] = field(default_factory=set)
    #: Keep this many messages, then die: every connection after that is cut at once.
    die_after: int | None = None
    dead: bool = False
    #: Answer AUTH with a 535 that echoes the client's line: whole, cut short, or over two lines.
    echo_auth: str | None = None
    auth_lines: list[str] = field(default_factory=list)
    mails: int = 0
    connections: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> Any:
        if not session.host_name and session.ssl is None:  # not the EHLO after STARTTLS
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.mails += 1
        if self.mails in self.drop_at_mail:
            server.transport.abort()
            return "421 gone"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.reject:
            return self.reject[address]
        if address in self.reject_once:
            return self.reject_once.pop(address)
        if address == self.hang_rcpt:
            await self._hang()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            if address in self.fail_data_once:
                return self.fail_data_once.pop(address)  # refused: not kept
        login = session.auth_data if session.authenticated else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login, _encrypted(server))
        )
        if self.hang_after_data in envelope.rcpt_tos:
            await self._hang()
        for address in envelope.rcpt_tos:  # kept; the answer comes late
            await asyncio.sleep(self.delay_for.get(address, 0.0))
        if self.drop_after_data in envelope.rcpt_tos:
            server.transport.abort()  # the message is kept; its answer is lost
        if self.die_after is not None and len(self.received) >= self.die_after:
            self.dead = True  # this one is answered; the server is gone before the next command
        return "250 2.0.0 Ok: queued"

    async def _hang(self) -> None:
        self.hanging.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append((login, password))
            ok = (login, password) == ("briefs@example.org", PASSWORD)
            return AuthResult(success=ok, handled=False, auth_data=login)  # handled=False: aiosmtpd answers 535
        return AuthResult(success=False, handled=False)


class FaultySMTP(SMTP):
    """aiosmtpd's server with the :class:`Recorder`'s faults that need the protocol itself."""

    def __init__(self, handler: Recorder, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.recorder = handler

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.recorder.dead:
            transport.abort()

    async def smtp_MAIL(self, arg: str) -> None:
        if self.recorder.dead:
            self.transport.abort()
            return
        await super().smtp_MAIL(arg)

    async def smtp_AUTH(self, arg: str) -> None:
        mode = self.recorder.echo_auth
        if mode is None:
            await super().smtp_AUTH(arg)
            return
        self.recorder.auth_lines.append(arg)
        line = f"AUTH {arg}"
        if mode == "partial":
            await self.push(f"535 5.7.8 Authentication failed near {line[:24]}")
        elif mode == "wrapped":
            middle = len(line) // 2
            await self.push(f"535-5.7.8 Authentication failed for {line[:middle]}")
            await self.push(f"535 {line[middle:]} (see above)")
        else:
            await self.push(f"535 5.7.8 Authentication failed: {line}")

    async def smtp_DATA(self, arg: str) -> None:
        recorder = self.recorder
        rcpts = list(self.envelope.rcpt_tos) if self.envelope is not None else []
        if recorder.delay_354:
            await asyncio.sleep(recorder.delay_354)
        if recorder.hang_354 is not None and recorder.hang_354 in rcpts:
            recorder.hang_354 = None  # once: the next attempt goes through
            await recorder._hang()
        dropping = [a for a in rcpts if a in recorder.drop_mid_data]
        if dropping and not arg:
            recorder.drop_mid_data.difference_update(dropping)
            # Small buffers and no reading: the client is still sending the body when the
            # connection is cut, as over a real network, rather than having it all buffered.
            sock = self.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            for _ in range(5):
                await self._reader.readuntil(b"\r\n")
            self.transport.pause_reading()
            await asyncio.sleep(0.2)
            self.transport.abort()  # part of the body read, no "." seen: nothing kept
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


def _encrypted(server: Any) -> bool:
    return server.transport.get_extra_info("ssl_object") is not None


#: The test password: long and odd enough that finding it anywhere is no coincidence.
PASSWORD = "s3cret-Pa55word!with~symbols"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailServer:
    """An aiosmtpd server on 127.0.0.1; ``tls`` = (cert, key) makes it require STARTTLS and AUTH,
    or, with ``implicit_tls``, speak TLS from the first byte (port 465 style, no AUTH)."""

    def __init__(
        self,
        port: int | None = None,
        tls: tuple[Path, Path] | None = None,
        *,
        implicit_tls: bool = False,
        echo_auth: str | None = None,
    ) -> None:
        self.handler = Recorder()
        self.port = port or free_port()
        kwargs: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
        if tls is not None and implicit_tls:
            kwargs = {"ssl_context": context}
        elif tls is not None:
            kwargs = {
                "tls_context": context,
                "require_starttls": True,
                "auth_required": True,
                "authenticator": self.handler.authenticate,
            }
        if echo_auth is not None:  # AUTH PLAIN only, over plain text on loopback, echoed back
            self.handler.echo_auth = echo_auth
            kwargs = {
                "authenticator": self.handler.authenticate,
                "auth_require_tls": False,
                "auth_exclude_mechanism": ["LOGIN"],
            }
        self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.handler.release.set()
        self.stop()

    def stop(self) -> None:
        with contextlib.suppress(AssertionError):  # already stopped
            self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.01)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 and localhost, made with ``cryptography``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "briefgen test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
