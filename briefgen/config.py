"""Workspace configuration: an optional ``briefgen.toml``, validated into typed options."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, Problem
from .mailconfig import MailOptions
from .stakeholders import Stakeholder

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


class Config(_Section):
    """Everything a build needs to know, with paths resolved against the workspace root."""

    root: Path = Field(default_factory=Path.cwd, exclude=True)
    paths: Paths = Field(default_factory=Paths)
    build: BuildOptions = Field(default_factory=BuildOptions)
    assess: AssessOptions = Field(default_factory=AssessOptions)
    editions: EditionOptions = Field(default_factory=EditionOptions)
    schedules: list[ScheduleSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_schedule_names(self) -> Config:
        names = [s.name for s in self.schedules]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"schedule name {name!r} is used twice; names key the run history")
        return self

    mail: MailOptions = Field(default_factory=MailOptions)
    stakeholders: list[Stakeholder] = Field(default_factory=list)

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
