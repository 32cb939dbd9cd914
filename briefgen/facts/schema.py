"""The fact schema: pydantic models that validate inputs and are the JSON Schema editors use."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import total_ordering
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "Agreement",
    "Assessment",
    "Brief",
    "BriefMeta",
    "Candidate",
    "ContextItem",
    "Event",
    "Evidence",
    "KeyJudgment",
    "PartialDate",
    "SanctionRisk",
    "Scenario",
    "Scenarios",
    "Source",
    "json_schema",
]


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=120)]


SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", max_length=120)]


LanguageTag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


#: Narrative text: Markdown, rendered and then sanitised (never trusted as HTML).
Markdown = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    Field(json_schema_extra={"contentMediaType": "text/markdown"}),
]


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise PydanticCustomError("url", "expected an http:// or https:// URL")
    return value


Url = Annotated[str, AfterValidator(_http_url)]


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(value: object) -> object:
    """A full date: YAML gives ``2030`` as a number, which pydantic would read as seconds."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date) or (isinstance(value, str) and _DAY.match(value.strip())):
        return value
    raise PydanticCustomError(
        "day",
        "expected a day as YYYY-MM-DD, got {value} (this date must name a day; "
        "the dates of facts may be YYYY or YYYY-MM)",
        {"value": repr(value)},
    )


#: A date to the day (the brief's own date, when a source was accessed).
Day = Annotated[dt.date, BeforeValidator(_day)]


@total_ordering
class PartialDate:
    """A date known to the year, the month or the day (``2030``, ``2018-10``, ``2021-12-06``).

    News reports rarely give every date to the day; forcing a day would invent precision.
    """

    __slots__ = ("day", "month", "year")

    def __init__(self, year: int, month: int | None = None, day: int | None = None) -> None:
        if day is not None and month is None:
            raise ValueError("a day needs a month")
        dt.date(year, month or 1, day or 1)  # validates the combination
        self.year, self.month, self.day = year, month, day

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.datetime):
            return cls(value.year, value.month, value.day)
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:04d}"
        if isinstance(value, str) and (m := _PARTIAL_DATE.match(value.strip())):
            year, month, day = (int(g) if g else None for g in m.groups())
            try:
                return cls(year, month, day)  # type: ignore[arg-type]
            except ValueError as exc:
                raise PydanticCustomError("partial_date", "invalid date: {error}", {"error": str(exc)}) from None
        raise PydanticCustomError("partial_date", "expected a date as YYYY, YYYY-MM or YYYY-MM-DD")

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        return "day" if self.day else "month" if self.month else "year"

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        if self.day:
            return self.first_day()
        if self.month:
            nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(self.year, 12, 31)

    def iso(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p]
        return "-".join(parts)

    def human(self) -> str:
        """``6 Dec 2021``, ``Oct 2018`` or ``2030``: as precise as the source, no more."""
        if self.day:
            return f"{self.day} {self.first_day():%b %Y}"
        if self.month:
            return f"{self.first_day():%b %Y}"
        return str(self.year)

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartialDate) and self._key() == other._key()

    def __lt__(self, other: PartialDate) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.iso()

    def __repr__(self) -> str:
        return f"PartialDate({self.iso()!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "pattern": _PARTIAL_DATE.pattern},
                {"type": "integer", "minimum": 1000, "maximum": 9999},
            ],
            "description": "A date to the year, month or day: YYYY, YYYY-MM or YYYY-MM-DD.",
        }


class Model(BaseModel):
    """Strict base: unknown keys are errors, so a typo never silently drops a fact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Variant(Model):
    """Another source reports a different value for one field of the fact it sits on."""

    field: Text = Field(description="Dotted name of the field the sources disagree on, e.g. 'term.end'.")
    value: Text = Field(description="The value the other source gives.")
    sources: list[SourceId] = Field(min_length=1)
    note: Markdown | None = None


#: Admiralty (NATO STANAG 2511) source reliability: A completely reliable … E unreliable, F cannot be judged.
Reliability = Literal["A", "B", "C", "D", "E", "F"]

#: Admiralty information credibility: 1 confirmed … 5 improbable, 6 cannot be judged.
Credibility = Annotated[int, Field(ge=1, le=6)]

#: What kind of document a source is; the first four are primary (the actor's own words or acts).
SOURCE_KINDS = (
    "government",
    "legislation",
    "official-statement",
    "dataset",
    "news",
    "think-tank",
    "academic",
    "law-firm",
    "other",
)
PRIMARY_KINDS = frozenset(SOURCE_KINDS[:4])


def _short_quote(value: str) -> str:
    if len(value.split()) > 30:
        raise PydanticCustomError("quote", "a quote is a few words (at most about 25), not a passage")
    return value


class Evidence(Model):
    """The source's own words a fact rests on, with where to find them (ICD 206 pinpoint)."""

    source: SourceId = Field(description="Id of the source quoted.")
    quote: Annotated[Text, AfterValidator(_short_quote)] = Field(
        description="A few of the source's words, exactly as written (at most about 25)."
    )
    locator: Text | None = Field(None, description="Where in the source: 'para. 3', 'p. 2', 'sentence 7'.")


class Cited(Model):
    """A statement that rests on one or more sources.

    An empty list is valid input (a draft may not be sourced yet) but ``briefgen lint``
    flags it and the brief marks it as unsourced.
    """

    sources: list[SourceId] = Field(default_factory=list, description="Ids of the sources this rests on.")
    variants: list[Variant] = Field(default_factory=list, description="Values other sources give instead.")
    credibility: Credibility | None = Field(
        None,
        description="Information credibility on the Admiralty scale: 1 confirmed, 2 probably true, 3 possibly "
        "true, 4 doubtful, 5 improbable, 6 cannot be judged.",
    )
    evidence: list[Evidence] = Field(
        default_factory=list, description="The source's words this rests on; lint checks them against its text."
    )
    release: Slug | None = Field(
        None, description="Release marking: the narrowest audience allowed to see this, e.g. internal (default: all)."
    )

    @model_validator(mode="after")
    def _variant_fields_exist(self) -> Cited:
        for variant in self.variants:
            if not has_field(type(self), variant.field):
                names = ", ".join(
                    n for n in type(self).model_fields if n not in {"sources", "variants", "evidence", "release"}
                )
                raise PydanticCustomError(
                    "variant_field",
                    "variant field '{field}' is not a field of this fact (its fields: {names})",
                    {"field": variant.field, "names": names},
                )
        return self


class Source(Model):
    id: SourceId
    publisher: Text
    title: Text
    author: Text | None = None
    url: Url | None = None
    published: PartialDate | None = None
    accessed: Day | None = None
    language: LanguageTag = "en"
    kind: Literal[
        "news",
        "government",
        "legislation",
        "official-statement",
        "think-tank",
        "academic",
        "dataset",
        "law-firm",
        "other",
    ] = "news"
    reliability: Reliability | None = Field(
        None,
        description="Source reliability on the Admiralty scale: A completely reliable, B usually reliable, "
        "C fairly reliable, D not usually reliable, E unreliable, F cannot be judged.",
    )
    relays: Text | None = Field(
        None, description="The outlet(s) whose reporting this source passes on (secondary reporting of a report)."
    )
    note: Markdown | None = None
    release: Slug | None = Field(
        None, description="Release marking: the narrowest audience allowed to see this, e.g. internal (default: all)."
    )

    @property
    def primary(self) -> bool:
        return self.kind in PRIMARY_KINDS


class BriefMeta(Model):
    id: Slug = Field(description="Stable id; names the output files.")
    title: Text
    subtitle: Text | None = None
    date: Day = Field(description="Date of the brief (YYYY-MM-DD); also the PDF's creation date.")
    as_of: Day | None = Field(
        None, description="Information cutoff: the last date of information used (defaults to the brief's date)."
    )
    author: Text
    organisation: Text | None = None
    audience: Text | None = None
    marking: Text = Field("UNCLASSIFIED", description="Classification or distribution marking.")
    language: LanguageTag = "en"
    keywords: list[Text] = Field(default_factory=list)
    summary: Markdown | None = Field(None, description="Bottom line up front, one short paragraph.")
    draft: bool = Field(
        False, description="Written by `briefgen draft`: not built without --drafts until its candidates are settled."
    )
    release: Slug | None = Field(
        None, description="Release marking of the whole brief: the narrowest audience allowed to see it (default: all)."
    )
    not_before: dt.datetime | None = Field(
        None,
        description="Embargo: nothing is sent before this time, whatever triggers it (ISO 8601; without an "
        "offset, UTC).",
    )


def _name_or_actor(schema: dict[str, Any]) -> None:
    """Editors: a participant names a library actor or gives its name inline."""
    schema["required"] = [r for r in schema.get("required", []) if r != "name"]
    schema["anyOf"] = [{"required": ["name"]}, {"required": ["actor"]}]


class Participant(Model):
    model_config = ConfigDict(json_schema_extra=_name_or_actor)

    actor: Slug | None = Field(None, description="Id of a library actor; fills name and affiliation.")
    name: Text
    role: Text = Field(description="The role at this event.")
    affiliation: Text | None = Field(None, description="Country or organisation represented.")


class Place(Model):
    city: Text
    country: Text | None = None
    venue: Text | None = None

    def __str__(self) -> str:
        return ", ".join(p for p in (self.venue, self.city, self.country) if p)


class Format(Cited):
    """A meeting format within the event, e.g. a 2+2 ministerial dialogue."""

    name: Text
    description: Markdown | None = None
    participants: list[Participant] = Field(default_factory=list)


#: The kinds of event, each with fields of its own (see ``KIND_FIELDS``).
EventKind = Literal[
    "summit", "meeting", "call", "sanctions designation", "signing", "delivery", "statement", "exercise", "election"
]
EVENT_KINDS: tuple[str, ...] = EventKind.__args__  # type: ignore[attr-defined]

#: Other words analysts (and earlier inputs) use for a kind; read as that kind.
KIND_ALIASES: dict[str, str] = {
    "bilateral summit": "summit",
    "trilateral summit": "summit",
    "leaders' summit": "summit",
    "summit meeting": "summit",
    "ministerial meeting": "meeting",
    "bilateral meeting": "meeting",
    "conference": "meeting",
    "talks": "meeting",
    "negotiations": "meeting",
    "dialogue": "meeting",
    "visit": "meeting",
    "state visit": "meeting",
    "video call": "call",
    "phone call": "call",
    "telephone call": "call",
    "video conference": "call",
    "videoconference": "call",
    "designation": "sanctions designation",
    "sanctions-designation": "sanctions designation",
    "listing": "sanctions designation",
    "sanctions": "sanctions designation",
    "agreement signing": "signing",
    "signing ceremony": "signing",
    "arms delivery": "delivery",
    "transfer": "delivery",
    "press release": "statement",
    "speech": "statement",
    "interview": "statement",
    "communique": "statement",
    "communiqué": "statement",
    "joint statement": "statement",
    "declaration": "statement",
    "announcement": "statement",
    "military exercise": "exercise",
    "exercises": "exercise",
    "drill": "exercise",
    "war games": "exercise",
    "vote": "election",
    "referendum": "election",
    "presidential election": "election",
    "parliamentary election": "election",
    "runoff": "election",
}

#: Aliases that say a little more than their kind: what they imply for another field.
_ALIAS_IMPLIES: dict[str, tuple[str, str]] = {
    "video call": ("medium", "video"),
    "video conference": ("medium", "video"),
    "videoconference": ("medium", "video"),
    "phone call": ("medium", "phone"),
    "telephone call": ("medium", "phone"),
    "press release": ("statement_type", "press release"),
    "speech": ("statement_type", "speech"),
    "interview": ("statement_type", "interview"),
    "communique": ("statement_type", "communique"),
    "communiqué": ("statement_type", "communique"),
    "joint statement": ("statement_type", "joint statement"),
}

_COMMON = frozenset({"participants", "summary"})
#: The fields each kind has beyond title, date, end_date, place, action, summary and sources.
KIND_FIELDS: dict[str, frozenset[str]] = {
    "summit": _COMMON | {"formats"},
    "meeting": _COMMON | {"formats"},
    "call": _COMMON | {"medium", "initiated_by", "duration", "readouts"},
    "sanctions designation": frozenset({"summary", "imposed_by", "law", "legal_basis", "targets", "measures"}),
    "signing": _COMMON | {"agreements", "signatories", "witnesses"},
    "delivery": _COMMON | {"supplier", "recipient", "item", "quantity", "contract", "stage"},
    "statement": _COMMON | {"speaker", "statement_type", "audience", "key_phrase"},
    "exercise": _COMMON | {"domain", "scale", "area"},
    "election": _COMMON | {"office", "jurisdiction", "candidates", "turnout", "outcome"},
}
#: Kind fields a brief's event has and a library action does not (its designation fields differ).
_EVENT_ONLY = frozenset({"formats", "targets", "measures", "imposed_by", "law", "legal_basis"})
#: Every field that belongs to some kinds and not others.
KIND_SPECIFIC: tuple[str, ...] = tuple(sorted(set().union(*KIND_FIELDS.values()) - {"summary"}))


def canonical_kind(value: object) -> str | None:
    """The kind ``value`` names (a kind or an alias, any case), or None."""
    if not isinstance(value, str):
        return None
    key = " ".join(value.strip().lower().split())
    if key in EVENT_KINDS:
        return key
    return KIND_ALIASES.get(key) or KIND_ALIASES.get(key.replace("-", " "))


def _event_kind(value: object) -> object:
    kind = canonical_kind(value)
    if kind is not None:
        return kind
    if not isinstance(value, str):
        return value  # the Literal reports the wrong type
    import difflib

    words = [*EVENT_KINDS, *KIND_ALIASES]
    near = difflib.get_close_matches(" ".join(value.lower().split()), words, n=1, cutoff=0.5)
    hint = (
        f"; nearest: {near[0]}" + (f" (a {KIND_ALIASES[near[0]]})" if near[0] in KIND_ALIASES else "") if near else ""
    )
    raise PydanticCustomError(
        "event_kind",
        "expected one of {kinds}, got {value}{hint}",
        {"kinds": ", ".join(EVENT_KINDS), "value": repr(value), "hint": hint},
    )


def is_designation(kind: str) -> bool:
    return canonical_kind(kind) == "sanctions designation"


def kinds_with(field: str) -> list[str]:
    return [k for k, names in KIND_FIELDS.items() if field in names]


class Target(Model):
    """Who a designation lists, and what for (the designation's sources cover it)."""

    actor: Slug | None = Field(None, description="Id of a library actor; fills name and country.")
    name: Text
    country: Text | None = None
    listed_for: Markdown | None = Field(None, description="What the target was designated for.")
    measures: list[Text] = Field(default_factory=list, description="Measures on this target alone.")


class Party(Model):
    """Someone on one side of an event: a library actor, or a name."""

    model_config = ConfigDict(json_schema_extra=_name_or_actor)

    actor: Slug | None = Field(None, description="Id of a library actor; fills name and affiliation.")
    name: Text
    role: Text | None = Field(None, description="Their office or role, if it matters here.")
    affiliation: Text | None = Field(None, description="Country or organisation represented.")


class Readout(Cited):
    """What one side of a call published about it."""

    by: Text = Field(description="Who published it: a government, an office (or a library actor id).")
    text: Markdown | None = Field(None, description="What the readout said, in your words.")


class Contestant(Model):
    """A candidate or party in an election, and the result."""

    model_config = ConfigDict(json_schema_extra=_name_or_actor)

    actor: Slug | None = Field(None, description="Id of a library actor; fills the name.")
    name: Text
    party: Text | None = None
    vote_share: float | None = Field(None, ge=0, le=100, description="Share of the valid vote, in per cent.")
    votes: int | None = Field(None, ge=0)
    seats: int | None = Field(None, ge=0)
    elected: bool = False


class KindedFacts(Cited):
    """The fields of every kind of event but the designation's (a library action shares them)."""

    kind: str  # narrowed by each subclass; declared first so the fields below can check it
    participants: list[Participant] = Field(
        default_factory=list, description="Who took part, with the role at this event (not a designation)."
    )
    # a call
    medium: Literal["phone", "video", "in person"] | None = Field(None, description="A call: phone or video.")
    initiated_by: Text | None = Field(None, description="A call: which side asked for it (actor id or name).")
    duration: Text | None = Field(None, description="A call: how long it lasted, e.g. 'about two hours'.")
    readouts: list[Readout] = Field(default_factory=list, description="A call: what each side published.")
    # a signing
    agreements: list[Slug] = Field(
        default_factory=list, description="A signing: ids of the brief's agreements that were signed."
    )
    signatories: list[Party] = Field(default_factory=list, description="A signing: who signed, for whom.")
    witnesses: list[Party] = Field(default_factory=list, description="A signing: who witnessed it.")
    # a delivery
    supplier: Text | None = Field(None, description="A delivery: who delivered (actor id or name).")
    recipient: Text | None = Field(None, description="A delivery: who received it (actor id or name).")
    item: Text | None = Field(None, description="A delivery: the item or system delivered.")
    quantity: Text | None = Field(None, description="A delivery: how many, e.g. '2 regiment sets'.")
    contract: Slug | None = Field(None, description="A delivery: id of the brief's agreement it is made under.")
    stage: Literal["first", "partial", "complete"] | None = Field(
        None, description="A delivery: the first, a further (partial) or the last (complete) delivery."
    )
    # a statement
    speaker: Party | None = Field(None, description="A statement: who made it.")
    statement_type: (
        Literal["press release", "interview", "speech", "communique", "joint statement", "post", "briefing", "other"]
        | None
    ) = Field(None, description="A statement: what form it took.")
    audience: Text | None = Field(None, description="A statement: to whom, or where (a parliament, a forum).")
    key_phrase: Annotated[Text, AfterValidator(_short_quote)] | None = Field(
        None, description="A statement: its key words, quoted exactly (a short phrase; the sources say who said it)."
    )
    # an exercise
    domain: Literal["land", "sea", "air", "joint", "cyber", "space"] | None = Field(
        None, description="An exercise: land, sea, air, joint, cyber or space."
    )
    scale: Text | None = Field(None, description="An exercise: how big, e.g. 'about 5,000 troops, 40 ships'.")
    area: Text | None = Field(None, description="An exercise: the area it covers, e.g. 'the western Black Sea'.")
    # an election
    office: Text | None = Field(None, description="An election: the office or body elected.")
    jurisdiction: Text | None = Field(None, description="An election: the country or region voting.")
    candidates: list[Contestant] = Field(default_factory=list, description="An election: candidates and results.")
    turnout: float | None = Field(None, ge=0, le=100, description="An election: turnout, in per cent.")
    outcome: Markdown | None = Field(None, description="An election: who won, what it means.")

    @field_validator(*(f for f in KIND_SPECIFIC if f not in _EVENT_ONLY))
    @classmethod
    def _belongs_to_kind(cls, value: object, info: ValidationInfo) -> object:
        return check_field_of_kind(info.data.get("kind"), str(info.field_name), value)


def a(kind: str) -> str:
    """``a call``, ``an election``."""
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def check_field_of_kind(kind: object, field: str, value: object) -> object:
    """``value`` if ``field`` is one a ``kind`` has (or is empty); else an error naming the kind."""
    canonical = canonical_kind(kind) if isinstance(kind, str) else None
    if canonical is None or field in KIND_FIELDS[canonical] or value in (None, [], ""):
        return value
    owners = kinds_with(field)
    if canonical == "sanctions designation" and field == "participants":
        hint = "list who was designated under 'targets'"
    else:
        hint = f"it is a field of {' or '.join(a(k) for k in owners)}" if owners else "see `briefgen schema`"
    has = ", ".join(sorted(KIND_FIELDS[canonical] - {"summary"}))
    raise PydanticCustomError(
        "field_of_kind",
        "{a_kind} has no '{field}' ({hint}); {a_kind} has {has}",
        {"a_kind": a(canonical), "field": field, "hint": hint, "has": has},
    )


class Event(KindedFacts):
    kind: Annotated[EventKind, BeforeValidator(_event_kind)] = Field(
        description="summit, meeting, call, sanctions designation, signing, delivery, statement, exercise or "
        "election; each has fields of its own (older words such as 'video call' are read as their kind)."
    )
    title: Text
    date: PartialDate
    end_date: PartialDate | None = None
    place: Place
    action: Slug | None = Field(None, description="Id of the library action this event is; fills its fields.")
    formats: list[Format] = Field(default_factory=list, description="A meeting or summit: the formats held.")
    imposed_by: Text | None = Field(None, description="A designation: who imposed it.")
    law: Slug | None = Field(None, description="A designation: id of the library authority it rests on.")
    legal_basis: Text | None = Field(None, description="A designation: the legal instrument and section.")
    targets: list[Target] = Field(default_factory=list, description="A designation: who was listed.")
    measures: list[Text] = Field(default_factory=list, description="A designation: measures on every target.")
    summary: Markdown | None = None

    @model_validator(mode="before")
    @classmethod
    def _implied_by_alias(cls, data: Any) -> Any:
        """``kind: video call`` is a call whose medium is video."""
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            implied = _ALIAS_IMPLIES.get(" ".join(data["kind"].strip().lower().split()))
            if implied and implied[0] not in data:
                data = {**data, implied[0]: implied[1]}
        return data

    @field_validator("formats", "imposed_by", "law", "legal_basis", "targets", "measures")
    @classmethod
    def _belongs(cls, value: object, info: ValidationInfo) -> object:
        return check_field_of_kind(info.data.get("kind"), str(info.field_name), value)

    @model_validator(mode="after")
    def _required_of_kind(self) -> Event:
        if self.kind == "sanctions designation" and not self.targets:
            raise PydanticCustomError("designation_targets", "a {kind} needs 'targets'", {"kind": self.kind})
        return self


class Money(Model):
    amount: Decimal = Field(gt=0)
    currency: Currency
    period: Text | None = Field(None, description="e.g. 'per year' for an annual figure.")
    approximate: bool = False


class Term(Model):
    start: PartialDate | None = None
    end: PartialDate | None = None


class Agreement(Cited):
    id: Slug | None = Field(None, description="Id by which a signing or a delivery names this agreement.")
    title: Text
    kind: Text = Field(description="e.g. cooperation programme, contract, trade target.")
    parties: list[Text] = Field(min_length=1)
    signed: PartialDate | None = None
    term: Term | None = None
    deliveries_began: PartialDate | None = Field(None, description="When the first deliveries under it arrived.")
    value: Money | None = None
    quantity: Text | None = None
    status: Literal[
        "proposed",
        "under negotiation",
        "agreed",
        "signed",
        "in force",
        "delivering",
        "target",
        "completed",
        "suspended",
        "cancelled",
    ]
    notes: Markdown | None = None


class ContextItem(Cited):
    title: Text
    kind: Text = Field("background", description="e.g. alliance, prior deal, policy, background.")
    date: PartialDate | None = None
    text: Markdown


#: An ICD 203 term from either row, or a probability (0.7 or "70%"); see ``estimative``.
Likelihood = Annotated[
    Text | float,
    Field(
        json_schema_extra={
            "examples": ["almost no chance", "very unlikely", "unlikely", "roughly even chance", "likely", 0.7, "70%"]
        }
    ),
]


Confidence = Literal["low", "moderate", "high"]


class Window(Model):
    """The time frame of a judgment: from ``start`` (default: the cutoff) to ``end``."""

    start: PartialDate | None = None
    end: PartialDate


class KeyJudgment(Cited):
    id: Slug | None = Field(
        None, description="Stable id of a standing judgment, so editions can say when its estimate moved."
    )
    text: Markdown
    likelihood: Likelihood | None = None
    confidence: Confidence | None = None
    by: PartialDate | None = Field(None, description="The judgment's horizon: it holds until this date.")
    window: Window | None = Field(None, description="The judgment's time frame, when it is a window.")

    @property
    def horizon(self) -> PartialDate | None:
        return self.by or (self.window.end if self.window else None)


class Listing(Cited):
    """A sanctions list the counterparty is on (or was assessed against)."""

    name: Text = Field(description="The list, e.g. a statute's section list or a designation list.")
    listed: PartialDate | None = None
    note: Markdown | None = None


class Precedent(Cited):
    action: Slug | None = Field(None, description="Id of the library action this precedent is.")
    date: PartialDate
    target: Text
    country: Text | None = None
    measures: list[Text] = Field(min_length=1)
    reason: Markdown | None = None
    origin: Literal["discretionary", "mandated"] | None = Field(
        None,
        description="How it came about: the executive's own choice, or required (or forced) by a law; "
        "the risk model weighs them differently.",
    )
    origin_note: Markdown | None = Field(None, description="Why: e.g. the law that required it.")


ModelFactorId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class Factor(Cited):
    name: Text
    direction: Literal["raises", "lowers", "neutral"]
    evidence: Markdown  # type: ignore[assignment]  # a factor's evidence is its argument, in prose
    factor: ModelFactorId | None = Field(None, description="The risk model's factor this is evidence for.")
    value: Text | None = Field(None, description="The factor's level this evidence supports, e.g. 'high'.")


class Mitigation(Cited):
    name: Text
    text: Markdown
    factor: ModelFactorId | None = Field(None, description="The risk model's factor this is evidence for.")
    value: Text | None = Field(None, description="The factor's level this evidence supports.")


class Assessment(Cited):
    likelihood: Likelihood
    impact: Literal["low", "moderate", "high", "severe"]
    confidence: Confidence
    rationale: Markdown | None = None
    by: PartialDate | None = Field(None, description="The horizon: the likelihood is of sanctions by this date.")
    model_disagreement: Markdown | None = Field(
        None, description="Why the analysts' likelihood differs from the risk model's; printed in the brief."
    )


class SanctionRisk(Cited):
    law: Slug | None = Field(None, description="Id of a library authority; fills regime, legal basis, enacted.")
    regime: Text = Field(description="Sanctions regime, e.g. a statute and section.")
    question: Literal["first", "further"] = Field(
        "first",
        description="What is assessed: first sanctions on the target, or further sanctions on a target "
        "already sanctioned under the regime.",
    )
    authority: Text = Field(description="Who imposes the sanctions.")
    legal_basis: Markdown
    enacted: PartialDate | None = None
    target: Text = Field(description="Who would be exposed.")
    counterparty: Text | None = None
    listings: list[Listing] = Field(default_factory=list)
    precedents: list[Precedent] = Field(default_factory=list)
    exposure: list[Factor] = Field(default_factory=list)
    mitigations: list[Mitigation] = Field(default_factory=list)
    assessment: Assessment | None = None


class WatchItem(Cited):
    text: Markdown
    by: PartialDate | None = Field(None, description="When to expect it, if known.")
    scenarios: list[Slug] = Field(
        default_factory=list, description="Ids of the scenarios this would show to be unfolding."
    )


class Scenario(Cited):
    """One outcome of a set of mutually exclusive alternatives."""

    id: Slug
    title: Text
    text: Markdown
    likelihood: Likelihood
    indicators: list[Text] = Field(default_factory=list, description="What would show this outcome unfolding.")


class Scenarios(Model):
    """Analysis of alternatives: mutually exclusive outcomes of one question over one horizon."""

    question: Text
    by: PartialDate = Field(description="The horizon all outcomes share.")
    outcomes: list[Scenario] = Field(min_length=2)


class Candidate(Model):
    """Something `briefgen draft` found in the article: the analyst makes it a fact or deletes it.

    Never rendered. ``start``/``end`` are character offsets in the source's saved text.
    """

    kind: Literal["date", "money", "quantity", "actor", "authority", "source", "sentence"]
    text: Text
    value: dict[str, Any] = Field(default_factory=dict, description="What was parsed: a date, an amount, an id.")
    belongs: Literal["event", "agreement", "context", "sanction_risk", "outlook"] = Field(
        description="Where it probably goes in the brief."
    )
    sentence: int = Field(ge=1)
    paragraph: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    cues: list[str] = Field(default_factory=list, description="Why a sentence was picked: agreement, sanction, …")
    evidence: Evidence | None = None


class Brief(Model):
    """One briefing: metadata, the facts of one event, and the analysis resting on them."""

    model_config = ConfigDict(title="briefgen brief")

    brief: BriefMeta
    sources: list[Source] = Field(min_length=1)
    key_judgments: list[KeyJudgment] = Field(default_factory=list)
    event: Event | None = None
    agreements: list[Agreement] = Field(default_factory=list)
    context: list[ContextItem] = Field(default_factory=list)
    sanction_risk: SanctionRisk | None = None
    outlook: list[WatchItem] = Field(default_factory=list)
    scenarios: Scenarios | None = None

    @property
    def cutoff(self) -> dt.date:
        """The information cutoff: ``as_of``, or the brief's date."""
        return self.brief.as_of or self.brief.date

    candidates: list[Candidate] = Field(
        default_factory=list, description="A draft's unconfirmed findings; never rendered."
    )

    @model_validator(mode="after")
    def _unique_source_ids(self) -> Brief:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise PydanticCustomError("duplicate_source", "source id {id!r} is defined twice", {"id": source.id})
            seen.add(source.id)
        return self

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def cited(self) -> Iterator[tuple[tuple[str | int, ...], Cited]]:
        """Every cited statement with its location path, in reading order."""
        yield from walk_cited(self, ())


def walk_cited(value: object, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Cited]]:
    if isinstance(value, Cited):
        yield loc, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name != "variants":
                yield from walk_cited(getattr(value, name), (*loc, name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from walk_cited(item, (*loc, index))


def has_field(model: type[BaseModel], dotted: str) -> bool:
    """Whether ``dotted`` (``term.end``) names a field of ``model`` or of its nested models."""
    current: Any = model
    for part in dotted.split("."):
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return False
        current = _model_in(fields[part].annotation)
    return True


def _model_in(annotation: Any) -> Any:
    """The model inside ``X | None`` or ``list[X]``, else the annotation."""
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def field_is_date(model: type[BaseModel], dotted: str) -> bool:
    """Whether ``dotted`` names a date field (so a variant's value reads as a date)."""
    current: Any = model
    for part in dotted.split("."):
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return False
        annotation = fields[part].annotation
        current = _model_in(annotation)
    args = getattr(annotation, "__args__", (annotation,))
    return any(a is PartialDate or a is dt.date for a in args)


_LIBRARY_ID = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$", "description": "Id of a library entry."}


def _or_library_id(schema: dict[str, Any], model: str, name: str) -> None:
    prop = schema["$defs"][model]["properties"][name]
    prop["items"] = {"anyOf": [prop["items"], _LIBRARY_ID]}


def union_by_kind(schema: dict[str, Any], name: str, kinds: dict[str, str | None]) -> None:
    """Make ``$defs[name]`` a union discriminated by ``kind``: editors then offer each kind's
    own fields, and flag a field the kind does not have. ``kinds`` maps each value of ``kind``
    to the event kind whose fields it has (None: the designation's, e.g. a waiver)."""
    model = schema["$defs"][name]
    props: dict[str, Any] = model["properties"]
    common = {k: v for k, v in props.items() if k not in KIND_SPECIFIC and k != "kind"}
    variants: list[dict[str, Any]] = []
    for value, kind in kinds.items():
        fields = KIND_FIELDS[kind or "sanctions designation"]
        aliases = [a for a, k in KIND_ALIASES.items() if k == kind and kind == value]
        kind_prop = {k: v for k, v in props["kind"].items() if k not in {"type", "enum", "const"}}
        variants.append(
            {
                "title": f"{value} ({name.lower()})",
                "type": "object",
                "properties": {
                    "kind": {**kind_prop, "enum": [value, *aliases]},
                    **common,
                    **{k: v for k, v in props.items() if k in fields},
                },
                "required": model.get("required", []),
                "additionalProperties": False,
            }
        )
    if name == "Event":  # an event that is a library action takes its kind and fields from it
        variants.append(
            {
                "title": "a library action",
                "type": "object",
                "properties": {"kind": {"enum": list(kinds)}, **common},
                "required": ["action"],
                "additionalProperties": True,
            }
        )
    schema["$defs"][name] = {
        "title": model.get("title", name),
        "description": model.get("description", ""),
        "anyOf": variants,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an input file, for editors and other tools."""
    schema = Brief.model_json_schema()
    union_by_kind(schema, "Event", {k: k for k in EVENT_KINDS})
    # Library references are resolved before validation; editors must accept them too.
    schema["properties"]["sources"]["items"] = {"anyOf": [schema["properties"]["sources"]["items"], _LIBRARY_ID]}
    _or_library_id(schema, "SanctionRisk", "precedents")
    _or_library_id(schema, "SanctionRisk", "listings")
    # `law: ID` fills the regime, who imposes it and the legal basis; library sources cited
    # anywhere join the sources list, so a brief may have none of its own.
    risk = schema["$defs"]["SanctionRisk"]
    filled = {"regime", "authority", "legal_basis"}
    risk["required"] = [r for r in risk.get("required", []) if r not in filled]
    risk["anyOf"] = [{"required": ["law"]}, {"required": sorted(filled)}]
    schema["required"] = [r for r in schema.get("required", []) if r != "sources"]
    # `{action: ID, …}` takes the rest of a precedent from the library action.
    precedent = schema["$defs"]["Precedent"]
    precedent["anyOf"] = [{"required": ["action"]}, {"required": precedent.get("required", [])}]
    precedent["required"] = []
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
