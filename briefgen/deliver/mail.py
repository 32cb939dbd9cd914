"""Mail settings as ``send`` uses them, once the environment has had its say."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from briefgen.config import DEFAULT_PORTS, PASSWORD_VARIABLE, MailOptions, Security, check_mailbox
from briefgen.errors import InputError, Problem

if TYPE_CHECKING:
    from briefgen.config import Config

__all__ = ["ENVIRONMENT", "MailSettings", "Secret", "SmtpSettings", "default_sender", "mail_settings"]


#: Environment variables and the ``[mail]`` option each one overrides.
ENVIRONMENT = {
    "BRIEFGEN_SMTP_HOST": "host",
    "BRIEFGEN_SMTP_PORT": "port",
    "BRIEFGEN_SMTP_SECURITY": "security",
    "BRIEFGEN_SMTP_USERNAME": "username",
    "BRIEFGEN_SMTP_FROM": "sender",
    "BRIEFGEN_SMTP_PASSWORD_FILE": "password_file",
}


#: Sender of outbox messages when none is configured.
OUTBOX_SENDER = "briefgen <briefgen@localhost>"


class Secret:
    """A string that does not show itself in reprs, logs or tracebacks' locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout: float = 30.0

    @property
    def url(self) -> str:
        """Where messages go, for the ledger and messages (never with credentials)."""
        scheme = "smtps" if self.security == "ssl" else "smtp"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class MailSettings:
    smtp: SmtpSettings | None  # None: write to the outbox
    sender: str
    reply_to: str | None
    retries: int
    retry_delay: float
    outbox: Path
    #: Claim lease in seconds (``BRIEFGEN_LEASE_SECONDS`` overrides it).
    lease: float | None = None

    def secrets(self) -> list[str]:
        """Strings that must never be written anywhere (for redaction)."""
        return [self.smtp.password.reveal()] if self.smtp and self.smtp.password else []


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``[mail]`` options the environment sets, by option name."""
    return {option: environ[var] for var, option in ENVIRONMENT.items() if environ.get(var, "").strip()}


def _source(config: Config, option: str, from_env: Mapping[str, str]) -> str:
    """Where ``option`` is set, for an error: its variable, else briefgen.toml if there is one.

    An error never names a file that does not exist: with neither, it names the variable that
    would set the option (or ``[mail]`` for options that have none).
    """
    from briefgen.config import CONFIG_NAME

    variable = {opt: var for var, opt in ENVIRONMENT.items()}.get(option)
    if option in from_env and variable:
        return variable
    if (config.root / CONFIG_NAME).is_file():
        return CONFIG_NAME
    return variable or "[mail]"


def _environment_options(config: Config, environ: Mapping[str, str]) -> MailOptions:
    from_env = _from_environment(environ)
    if not from_env:
        return config.mail
    merged = {**config.mail.model_dump(exclude_unset=True), **from_env}
    try:
        return MailOptions.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            option = str(error["loc"][0]) if error["loc"] else ""
            message = str(error["msg"]).replace("Input should be", "expected")
            problems.append(Problem(_source(config, option, from_env), 0, 0, f"mail.{option}", message))
        raise InputError(problems) from None


def default_sender(hostname: str | None = None) -> str:
    """``briefgen <briefgen@HOST>``: the sender when none is configured, like cron's mail.

    A relay on this machine accepts it; a provider usually wants its account's address
    (``username``, or ``sender`` / ``BRIEFGEN_SMTP_FROM``).
    """
    import socket

    host = (hostname if hostname is not None else socket.gethostname()).strip().rstrip(".").lower()
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*", host):
        host = "localhost"
    return f"briefgen <briefgen@{host}>"


def _password(config: Config, options: MailOptions, environ: Mapping[str, str]) -> Secret | None:
    if value := environ.get(PASSWORD_VARIABLE):
        return Secret(value)
    if options.password_file is None:
        return None
    path = config.resolve(options.password_file.expanduser())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(
            [Problem(str(path), 0, 0, "mail.password_file", f"cannot read the password: {reason}")]
        ) from None
    password = text.rstrip("\r\n")
    if not password:
        raise InputError([Problem(str(path), 0, 0, "mail.password_file", "the password file is empty")])
    return Secret(password)


def mail_settings(config: Config, environ: Mapping[str, str] | None = None, *, outbox: bool = False) -> MailSettings:
    """The ``[mail]`` options with the environment's overrides applied and the password read.

    ``outbox``: the run writes to the outbox whatever is configured, so SMTP settings
    (server, login, password) are neither read nor checked.
    """
    environ = os.environ if environ is None else environ
    options = _environment_options(config, environ)
    destination = config.output_dir / "outbox"
    if options.host is None or outbox:
        return MailSettings(
            None, options.sender or OUTBOX_SENDER, options.reply_to, options.retries, options.retry_delay, destination,
            options.lease,
        )  # fmt: skip

    from_env = _from_environment(environ)
    password = _password(config, options, environ)
    sender = options.sender
    if sender is None and options.username and "@" in options.username:
        sender = check_mailbox(options.username)
    sender = sender or default_sender()
    problems = []
    if password is not None and not options.username:
        problems.append(
            Problem(_source(config, "username", from_env), 0, 0, "mail.username", "a password is set but no username")
        )
    if options.username and password is None:
        problems.append(
            Problem(
                _source(config, "username", from_env),
                0,
                0,
                "mail.username",
                f"no password: set {PASSWORD_VARIABLE} or password_file",
            )
        )
    if options.username and options.security == "none" and not _is_loopback(options.host):
        problems.append(
            Problem(
                _source(config, "security", from_env),
                0,
                0,
                "mail.security",
                "refusing to send a password unencrypted: use starttls or ssl",
            )
        )
    if problems:
        raise InputError(problems)
    smtp = SmtpSettings(
        host=options.host,
        port=options.port or DEFAULT_PORTS[options.security],
        security=options.security,
        username=options.username,
        password=password,
        ca_file=config.resolve(options.ca_file) if options.ca_file else None,
        timeout=options.timeout,
    )
    return MailSettings(
        smtp, sender, options.reply_to, options.retries, options.retry_delay, destination, options.lease
    )
