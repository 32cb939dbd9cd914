"""A real SMTP server on loopback (aiosmtpd) that records what it receives and misbehaves
on request: refuse a recipient, drop the connection, hang until released."""

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
from aiosmtpd.smtp import AuthResult, LoginPassword


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
    #: Seconds to think about each message (lets two clients overlap).
    delay: float = 0.0
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
        if address == self.hang_rcpt:
            await self._hang()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        login = session.auth_data if session.authenticated else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login, _encrypted(server))
        )
        if self.hang_after_data in envelope.rcpt_tos:
            await self._hang()
        if self.drop_after_data in envelope.rcpt_tos:
            server.transport.abort()  # the message is kept; its answer is lost
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
        self, port: int | None = None, tls: tuple[Path, Path] | None = None, *, implicit_tls: bool = False
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
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

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
