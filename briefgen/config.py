"""Workspace configuration: an optional ``briefgen.toml``, validated into typed options.

Every section's model lives here, the ``[mail]`` and ``[[stakeholders]]`` ones too, so that
loading the configuration needs nothing of the stages that use it.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from briefgen.errors import InputError, Problem

Security = Literal["starttls", "ssl", "none"]


DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


PASSWORD_VARIABLE = "BRIEFGEN_SMTP_PASSWORD"  # noqa: S105 - the name of a variable, not a password


def check_mailbox(value: str) -> str:
    """``Name <name@example.org>`` or a bare address, normalised; an error otherwise."""
    # The email package is imported here, not at the top: config loading is on every
    # command's start-up path, and it costs as much as the rest of the config.
    from email.headerregistry import Address
    from email.utils import getaddresses

    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PydanticCustomError("mailbox", "expected one line, like Name <name@example.org>")
    found = getaddresses([value.strip()])
    if len(found) > 1:
        raise PydanticCustomError("mailbox", 'expected one address (put a name with a comma in "double quotes")')
    name, address = found[0] if found else ("", "")
    if not address:
        raise PydanticCustomError(
            "mailbox", "expected an address like Name <name@example.org>, got {v}", {"v": repr(value[:80])}
        )
    return str(Address(display_name=name, addr_spec=check_address(address)))


Mailbox = Annotated[str, AfterValidator(check_mailbox)]


Host = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._:\[\]-]+$", max_length=253)]


class MailOptions(BaseModel):
    """``[mail]``: how ``briefgen send`` delivers. Without a host, messages go to the outbox."""

    model_config = ConfigDict(extra="forbid")

    host: Host | None = Field(None, description="SMTP server; leave out to write .eml files to output/outbox/.")
    port: int | None = Field(None, ge=1, le=65535, description="Default: 587 (starttls), 465 (ssl), 25 (none).")
    security: Security = "starttls"
    username: str | None = Field(None, min_length=1)
    password_file: Path | None = Field(None, description="File holding the SMTP password (one line).")
    sender: Mailbox | None = Field(None, description="From: header, e.g. 'Desk <desk@example.org>'.")
    reply_to: Mailbox | None = None
    ca_file: Path | None = Field(None, description="Extra CA certificates (PEM) to trust, e.g. a company relay's.")
    timeout: float = Field(30.0, gt=0, le=600, description="Seconds to wait for the server.")
    retries: int = Field(3, ge=0, le=10, description="Retries of a transient failure (4xx, lost connection).")
    retry_delay: float = Field(2.0, ge=0, le=300, description="First back-off in seconds; doubles per retry.")
    lease: float = Field(
        900.0, gt=0, le=86400, description="Seconds a stalled send keeps its claims (renewed while it lives)."
    )
    stakeholders: Path | None = Field(None, description="YAML file of stakeholders (default: stakeholders.yaml).")

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise PydanticCustomError(
                "password_in_config",
                "the SMTP password is never read from briefgen.toml: "
                f"set {PASSWORD_VARIABLE} or password_file, and remove it from the file",
            )
        return data


# A pragmatic RFC 5321 subset: dot-atom local part, a domain of LDH labels with at least one dot.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


_ADDRESS = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$")


def check_address(value: str) -> str:
    """``value`` as a plain address (``name@example.org``) with a lower-case domain, or an error."""
    value = value.strip()
    if len(value) > 254 or not _ADDRESS.match(value) or len(value.partition("@")[0]) > 64:
        raise PydanticCustomError(
            "email", "expected an email address like name@example.org, got {value}", {"value": repr(value[:80])}
        )
    local, _, domain = value.partition("@")
    return f"{local}@{domain.lower()}"


EmailAddress = Annotated[str, AfterValidator(check_address)]


#: One line of text: names end up in headers, where a line break would be an injection.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^\x00-\x1f\x7f]+$")]


GroupName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=60)]


Preference = Literal["pdf", "html", "both"]


class Stakeholder(BaseModel):
    """A person who receives briefs, and how they like to read them."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="briefgen stakeholder")

    name: Line = Field(description="Used in the greeting.")
    email: EmailAddress
    organisation: Line | None = None
    groups: list[GroupName] = Field(default_factory=list, description="e.g. leadership, desk-south-asia.")
    format: Preference = Field(
        "pdf",
        description="pdf: a short summary with the PDF attached; html: the whole brief in the message; both.",
    )

    @property
    def key(self) -> str:
        """The address as the delivery ledger knows it (case-insensitive)."""
        return self.email.lower()

    @classmethod
    def ad_hoc(cls, email: str) -> Stakeholder:
        """A recipient named on the command line who is not in the stakeholder list."""
        return cls.model_construct(name="", email=check_address(email), organisation=None, groups=[], format="pdf")


CONFIG_NAME = "briefgen.toml"


Format = Literal["html", "pdf"]


PageSize = Literal["A4", "Letter"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paths(_Section):
    inputs: Path = Field(Path("inputs"), description="The YAML facts, one file per brief.")
    output: Path = Field(Path("output"), description="Where the HTML and PDF briefs are written.")
    templates: Path = Field(Path("templates"), description="Searched before the built-in theme.")
    assets: Path = Field(Path("assets"), description="Images and fonts templates may reference.")


class BuildOptions(_Section):
    formats: list[Format] = Field(
        default_factory=lambda: list[Format](["html", "pdf"]), min_length=1, description="What to write."
    )
    page_size: PageSize = Field("A4", description="PDF page size.")


class AssessOptions(_Section):
    model: Path | None = Field(None, description="Risk-model TOML replacing the built-in one.")
    strict: bool = Field(False, description="Treat lint warnings as errors when building.")


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'") from None
    return name


TimeZone = Annotated[str, AfterValidator(_zone)]


class EditionOptions(_Section):
    title: str = Field("Weekly edition", description="Name of the edition, shown on its cover.")
    timezone: TimeZone = Field("UTC", description="IANA time zone that decides which day 'today' is.")
    week_start: Weekday = Field("monday", description="First day of each window.")
    length_days: int = Field(7, ge=1, le=366, description="Window length; 7 from Monday gives ISO weeks (2021-W49).")
    empty: Literal["skip", "notice"] = Field(
        "skip", description="A window with no events: skip it, or build a short 'no new developments' edition."
    )
    author: str = Field("briefgen", description="Author shown in the edition's metadata.")
    organisation: str | None = Field(None, description="Shown on the cover.")
    marking: str | None = Field(None, description="Marking of the edition (default: its briefs' markings).")
    events_per_part: int = Field(
        15,
        ge=0,
        description="A bigger edition's PDF is laid out in parts of about this many events, side by side "
        "with --jobs, then bound into one file: memory stays flat however big it gets. 0: always whole.",
    )


def _cron(expression: str) -> str:
    from croniter import croniter

    if not croniter.is_valid(expression):
        raise ValueError(f"{expression!r} is not a cron expression (e.g. '0 7 * * MON': Mondays at 07:00)")
    return expression


class ScheduleSpec(_Section):
    """One scheduled report: when (cron, in a time zone), which edition, to whom."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Stable name; keys the run history.")]
    cron: Annotated[str, AfterValidator(_cron)] = Field(description="When it is due, e.g. '0 7 * * MON'.")
    timezone: TimeZone | None = Field(None, description="IANA zone of the cron times (default: editions.timezone).")
    edition: Literal["previous", "current"] = Field(
        "previous", description="Which window to report: the one before the run's date, or the one holding it."
    )
    groups: list[str] = Field(default_factory=list, description="Stakeholder groups or addresses (default: everyone).")
    missed: Literal["skip", "run-once", "backfill"] = Field(
        "run-once", description="After downtime: skip missed runs, run the latest once, or backfill several."
    )
    backfill: int = Field(4, ge=1, le=52, description="With missed = 'backfill': at most this many editions.")
    grace_minutes: int = Field(60, ge=1, description="A run this late still counts as on time.")
    retry_base: float = Field(
        30.0, gt=0, le=3600, description="Seconds before retrying a failed run; doubles per attempt, with jitter."
    )
    retry_cap: float = Field(900.0, gt=0, le=86400, description="The longest wait between two attempts, seconds.")
    require: list[Literal["fresh", "lint-errors", "lint-warnings", "pages"]] = Field(
        default_factory=list,
        description="Gates before sending: fresh (events or changes since the last edition), lint-errors "
        "(no lint errors), lint-warnings (no findings at all), pages (every output built and non-empty).",
    )
    not_before: dt.datetime | None = Field(
        None, description="Embargo: the schedule sends nothing before this time (ISO 8601; without an offset, UTC)."
    )
    approval: bool = Field(
        False, description="Send each edition to the approvers first; stakeholders get it once approved."
    )
    approvers: list[str] = Field(
        default_factory=lambda: ["approvers"], description="Groups or addresses asked to approve (`briefgen approve`)."
    )
    approval_deadline_hours: float | None = Field(
        None, gt=0, description="Hours after the request when on_deadline applies (default: no deadline)."
    )
    on_deadline: Literal["hold", "send", "skip"] = Field(
        "hold",
        description="No approval by the deadline: keep holding, send anyway (noted in the run), or skip the week.",
    )
    owners: list[str] = Field(
        default_factory=list, description="Groups or addresses told, once, when a gate holds an edition back."
    )
    retry_window: float | None = Field(
        None,
        gt=0,
        description="Seconds after the first attempt to keep retrying (default: until the schedule's next "
        "edition is due, and at least retry_cap).",
    )

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> ScheduleSpec:
        if self.retry_cap < self.retry_base:
            raise ValueError(f"retry_cap ({self.retry_cap:g} s) is shorter than retry_base ({self.retry_base:g} s)")
        return self


class ReleaseOptions(_Section):
    """Release markings: who may see what (variants by audience)."""

    ladder: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]] = Field(
        default_factory=lambda: ["public", "partners", "internal"],
        min_length=1,
        description="Release levels from the widest audience to the narrowest.",
    )
    groups: dict[str, str] = Field(
        default_factory=dict,
        description="Stakeholder group to the release level it may see; a person gets the highest of their groups'.",
    )
    default: str | None = Field(
        None, description="Level of a recipient in no listed group (default: the widest audience, the first rung)."
    )
    banners: dict[str, str] = Field(
        default_factory=dict, description="Banner marking of each level's variant, e.g. public = 'PUBLIC RELEASE'."
    )

    @model_validator(mode="after")
    def _known_levels(self) -> ReleaseOptions:
        for level in [*self.groups.values(), *([self.default] if self.default else []), *self.banners]:
            if level not in self.ladder:
                raise ValueError(f"release level {level!r} is not on the ladder ({', '.join(self.ladder)})")
        return self

    def level_of(self, groups: Sequence[str]) -> str:
        """The release level a person in ``groups`` may see."""
        levels = [self.groups[g] for g in groups if g in self.groups]
        if not levels:
            return self.default or self.ladder[0]
        return max(levels, key=self.ladder.index)


class ArchiveOptions(_Section):
    url: str | None = Field(
        None, description="Public address of the archive site (briefgen archive); webhook posts link there."
    )


class Webhook(_Section):
    """A Teams, Slack or plain-JSON webhook that receives each brief's summary and link."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Stable name; keys the ledger.")]
    kind: Literal["teams", "slack", "json"] = Field("json", description="The receiver's message format.")
    url_env: str | None = Field(None, description="Environment variable holding the URL (a secret).")
    url_file: Path | None = Field(None, description="File holding the URL (a secret), if not in the environment.")
    groups: list[str] = Field(
        default_factory=list, description="Posted when a send reaches one of these groups (default: every send)."
    )
    release: str | None = Field(None, description="Release level of the channel's audience (default: the first).")
    timeout: float = Field(10.0, gt=0, le=300, description="Seconds to wait for the receiver's answer.")
    retries: int = Field(3, ge=0, le=10, description="Retries after a 429 or 5xx answer.")

    @model_validator(mode="after")
    def _has_url(self) -> Webhook:
        if not self.url_env and not self.url_file:
            raise ValueError(f"webhook {self.name!r} needs url_env or url_file (the URL is a secret)")
        return self


class StateOptions(_Section):
    url: str = Field(
        "sqlite:///.briefgen/state.db",
        description="Where the ledger and the schedule runs live: an SQLite file in the workspace, or "
        "postgresql://USER@HOST:PORT/DATABASE shared by several hosts (password via PGPASSWORD or "
        "BRIEFGEN_STATE_URL, which overrides this).",
    )
    queue: bool = Field(
        False,
        description="With PostgreSQL: schedulers queue due editions as tasks for `briefgen worker` processes "
        "instead of running them.",
    )


class Config(_Section):
    """Everything a build needs to know, with paths resolved against the workspace root."""

    root: Path = Field(default_factory=Path.cwd, exclude=True)
    paths: Paths = Field(default_factory=Paths)
    build: BuildOptions = Field(default_factory=BuildOptions)
    assess: AssessOptions = Field(default_factory=AssessOptions)
    editions: EditionOptions = Field(default_factory=EditionOptions)
    schedules: list[ScheduleSpec] = Field(default_factory=list)
    state: StateOptions = Field(default_factory=StateOptions)

    @model_validator(mode="after")
    def _unique_schedule_names(self) -> Config:
        names = [s.name for s in self.schedules]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"schedule name {name!r} is used twice; names key the run history")
        return self

    mail: MailOptions = Field(default_factory=MailOptions)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    release: ReleaseOptions = Field(default_factory=ReleaseOptions)
    webhooks: list[Webhook] = Field(default_factory=list)
    archive: ArchiveOptions = Field(default_factory=ArchiveOptions)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path

    @property
    def inputs_dir(self) -> Path:
        return self.resolve(self.paths.inputs)

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.paths.output)

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.paths.templates)

    @property
    def assets_dir(self) -> Path:
        return self.resolve(self.paths.assets)

    @property
    def risk_model_path(self) -> Path | None:
        return self.resolve(self.assess.model) if self.assess.model else None


def find_workspace(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``briefgen.toml``, else ``start``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return start


def toml_line(text: str, loc: tuple[Any, ...]) -> int:
    """Best-effort line of a dotted TOML key: tomllib keeps no positions.

    ``[[array]]`` tables are counted, so ``("stakeholders", 1, "email")`` finds the second
    one; an item of a list value points at the list's key; a key not in the file (a missing
    field) points at its table's header.
    """
    parts = list(loc)
    while parts and isinstance(parts[-1], int):
        parts.pop()
    key = str(parts[-1]) if parts else ""
    table = [str(p) for p in parts[:-1] if not isinstance(p, int)]
    index = next((p for p in parts[:-1] if isinstance(p, int)), None)
    in_table, seen, header = not table, -1, 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.strip("[] ") == ".".join(table)
            if in_table and stripped.startswith("[["):
                seen += 1
                in_table = index is None or seen == index
            if in_table:
                header = number
            if in_table and not key:
                return number
        elif in_table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return header


def load_config(root: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read ``briefgen.toml`` from the workspace (if any) and apply CLI overrides.

    ``overrides`` are dotted section options, e.g. ``{"build.page_size": "Letter"}``.
    """
    root = find_workspace(root)
    path = root / CONFIG_NAME
    data: dict[str, Any] = {}
    text = ""
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+), column (\d+)", str(exc))
            line, col = (int(match[1]), int(match[2])) if match else (0, 0)
            raise InputError([Problem(str(path), line, col, "", f"invalid TOML: {exc}")]) from None
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        data.setdefault(section, {})[key] = value
    try:
        return Config(root=root, **data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            message = error["msg"].replace("Input should be", "expected")
            if error["type"] == "extra_forbidden":
                message = "unknown option"
            problems.append(
                Problem(str(path), toml_line(text, loc), 1 if text else 0, ".".join(map(str, loc)), message)
            )
        raise InputError(problems) from None
