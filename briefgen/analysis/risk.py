"""A transparent sanction-risk model: factors and weights are data, the arithmetic is shown.

The model file (TOML, see ``models/secondary-sanctions.toml``) says what each factor is
worth and why; :func:`assess` reads the brief's evidence for each factor and returns every
contribution, so a reader can disagree with one input and see the effect (``--set``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from briefgen.analysis.estimative import SCALE, Band, band_for_probability
from briefgen.errors import InputError, Problem
from briefgen.facts.schema import Brief, Cited, SanctionRisk

DEFAULT_MODEL = Path(__file__).parent / "models" / "secondary-sanctions.toml"

ImpactLevel = Literal["low", "moderate", "high", "severe"]
IMPACT_LEVELS: tuple[ImpactLevel, ...] = ("low", "moderate", "high", "severe")
Derived = Literal["listings", "precedents", "precedent_measures"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FactorSpec(_Strict):
    label: str
    why: str
    derived: Derived | None = Field(None, alias="from")
    levels: dict[str, float] = Field(default_factory=dict)
    per_item: float | None = None
    max_items: int | None = Field(None, ge=1)
    group: str | None = Field(
        None, description="Factors that describe one fact share a group; only the strongest of them counts."
    )
    origin_weights: dict[str, float] = Field(
        default_factory=dict,
        description="For counted precedents: each one's weight by how it came about (discretionary, mandated).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> FactorSpec:
        counted = self.per_item is not None
        if counted == bool(self.levels):
            raise ValueError("give either `levels` or `per_item` (a counted factor)")
        if counted and self.derived is None:
            raise ValueError("a counted factor needs `from` (what to count)")
        return self


class Question(_Strict):
    text: str
    baseline: float
    why: str


class Group(_Strict):
    label: str
    why: str


class Part(_Strict):
    baseline: float
    why: str
    factors: dict[str, FactorSpec]
    questions: dict[str, Question] = Field(
        default_factory=dict, description="Baselines per question (first sanctions, further sanctions)."
    )
    groups: dict[str, Group] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups_known(self) -> Part:
        for name, spec in self.factors.items():
            if spec.group is not None and spec.group not in self.groups:
                raise ValueError(f"factor {name!r} names group {spec.group!r}, which [..groups] does not define")
        return self


class ImpactPart(Part):
    bands: dict[ImpactLevel, float]


class ModelInfo(_Strict):
    id: str
    title: str
    version: int


class Rating(_Strict):
    matrix: list[list[str]] = Field(min_length=len(SCALE), max_length=len(SCALE))

    @model_validator(mode="after")
    def _shape(self) -> Rating:
        if any(len(row) != len(IMPACT_LEVELS) for row in self.matrix):
            raise ValueError(f"each matrix row needs {len(IMPACT_LEVELS)} ratings (one per impact level)")
        return self


class RiskModel(_Strict):
    model: ModelInfo
    likelihood: Part
    impact: ImpactPart
    rating: Rating
    path: Path = Field(DEFAULT_MODEL, exclude=True)

    def spec(self, factor_id: str) -> tuple[Literal["likelihood", "impact"], FactorSpec] | None:
        if factor_id in self.likelihood.factors:
            return "likelihood", self.likelihood.factors[factor_id]
        if factor_id in self.impact.factors:
            return "impact", self.impact.factors[factor_id]
        return None

    @property
    def factor_ids(self) -> list[str]:
        return [*self.likelihood.factors, *self.impact.factors]


def load_model(path: Path | None = None) -> RiskModel:
    """Read and validate a model file; errors name the file, line and option."""
    from briefgen.config import toml_line

    path = path or DEFAULT_MODEL
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise InputError([Problem(str(path), 0, 0, "", f"cannot read risk model: {exc.strerror}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), 0, 0, "", f"invalid TOML: {exc}")]) from None
    try:
        return RiskModel.model_validate({**data, "path": path})
    except ValidationError as exc:
        problems = [
            Problem(str(path), toml_line(text, tuple(e["loc"])), 1, ".".join(map(str, e["loc"])), e["msg"])
            for e in exc.errors(include_url=False)
        ]
        raise InputError(problems) from None


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evidence:
    """A fact in the brief that supports a factor's value."""

    loc: tuple[str | int, ...]
    label: str
    statement: Cited


@dataclass
class FactorResult:
    id: str
    part: Literal["likelihood", "impact"]
    label: str
    why: str
    value: str | None
    contribution: float
    evidence: list[Evidence] = field(default_factory=list)
    overridden: bool = False
    problem: str | None = None
    counted: float = 0.0  # what enters the sum: 0 for a group member outweighed by another
    group: str | None = None

    @property
    def direction(self) -> Literal["raises", "lowers", "neutral"]:
        if self.contribution > 0:
            return "raises"
        return "lowers" if self.contribution < 0 else "neutral"


@dataclass(frozen=True)
class Shift:
    """One change of evidence and where it would put the call."""

    factor: str
    label: str
    value: str | None
    to: str
    delta: float  # change in log-odds
    band: Band


@dataclass
class Assessment:
    model: RiskModel
    factors: list[FactorResult]
    logit: float
    probability: float
    band: Band
    impact_score: float
    impact: ImpactLevel
    rating: str
    question: str = "first"
    question_text: str = ""
    baseline: float = 0.0
    baseline_why: str = ""
    sensitivity: list[Shift] = field(default_factory=list)
    question_problem: str | None = None

    @property
    def band_changes(self) -> list[Shift]:
        """The single changes of evidence that would move the call to another band."""
        return [s for s in self.sensitivity if s.band.index != self.band.index]

    def factor(self, factor_id: str) -> FactorResult:
        return next(f for f in self.factors if f.id == factor_id)

    @property
    def problems(self) -> list[tuple[FactorResult, str]]:
        return [(f, f.problem) for f in self.factors if f.problem]


def _derived(kind: Derived, risk: SanctionRisk, brief: Brief) -> tuple[str, list[Evidence]]:
    if kind == "listings":
        evidence = [Evidence(("sanction_risk", "listings", i), item.name, item) for i, item in enumerate(risk.listings)]
        return ("yes" if risk.listings else "no"), evidence
    before = [
        (i, p) for i, p in enumerate(risk.precedents) if p.date.first_day() <= brief.brief.date
    ]  # a precedent after the brief's date could not have informed it
    evidence = [
        Evidence(
            ("sanction_risk", "precedents", i),
            f"{p.target} ({p.date.human()}{', ' + p.origin if p.origin else ''})",
            p,
        )
        for i, p in before
    ]
    if kind == "precedents":
        return str(len(before)), evidence
    most = max((len(p.measures) for _, p in before), default=0)
    return str(most), [e for e, (_, p) in zip(evidence, before, strict=True) if len(p.measures) == most]


def _stated(risk: SanctionRisk) -> dict[str, list[tuple[str, Evidence]]]:
    stated: dict[str, list[tuple[str, Evidence]]] = {}
    for kind in ("exposure", "mitigations"):
        for index, item in enumerate(getattr(risk, kind)):
            if item.factor:
                evidence = Evidence(("sanction_risk", kind, index), item.name, item)
                stated.setdefault(item.factor, []).append((item.value or "", evidence))
    return stated


def _weights(spec: FactorSpec, evidence: list[Evidence], count: int) -> list[float]:
    """Per-item weights, strongest first: a precedent a law forced counts for less than a free choice."""
    weights = []
    for e in evidence:
        origin = getattr(e.statement, "origin", None)
        weights.append(spec.origin_weights.get(origin or "", 1.0) if spec.origin_weights else 1.0)
    weights = sorted(weights, reverse=True)[:count]
    return weights + [1.0] * (count - len(weights))  # a what-if count beyond the evidence: full weight


def _contribution(spec: FactorSpec, value: str | None, evidence: Sequence[Evidence] = ()) -> tuple[float, str | None]:
    if value is None:
        return 0.0, None
    if spec.per_item is not None:
        try:
            count = int(value)
        except ValueError:
            return 0.0, f"expected a count, got {value!r}"
        count = min(max(count, 0), spec.max_items or count)
        return spec.per_item * sum(_weights(spec, list(evidence), count)), None
    if value not in spec.levels:
        return 0.0, f"unknown level {value!r}; expected one of {', '.join(spec.levels)}"
    return spec.levels[value], None


def assess(
    brief: Brief, model: RiskModel | None = None, overrides: Mapping[str, str] | None = None
) -> Assessment | None:
    """Evaluate the model on the brief's evidence; ``overrides`` are what-ifs (factor → value)."""
    risk = brief.sanction_risk
    if risk is None:
        return None
    model = model or load_model()
    overrides = dict(overrides or {})
    check_overrides(model, overrides)
    result = _evaluate(brief, risk, model, overrides)
    result.sensitivity = _sensitivity(brief, risk, model, overrides, result)
    return result


def check_overrides(model: RiskModel, overrides: Mapping[str, str]) -> None:
    """What-ifs must name a factor and one of its levels (or a count); else an input error listing them."""
    problems = []
    for name in sorted(overrides):
        found = model.spec(name)
        if found is None:
            problems.append(
                Problem("--set", 0, 0, name, f"no such factor; the model has {', '.join(model.factor_ids)}")
            )
            continue
        spec, value = found[1], overrides[name]
        if spec.per_item is not None:
            if not value.isdigit():
                problems.append(Problem("--set", 0, 0, name, f"expected a count (0, 1, 2…), got {value!r}"))
        elif value not in spec.levels:
            problems.append(
                Problem("--set", 0, 0, name, f"no level {value!r}; expected one of {', '.join(spec.levels)}")
            )
    if problems:
        raise InputError(problems)


def _sensitivity(
    brief: Brief, risk: SanctionRisk, model: RiskModel, overrides: Mapping[str, str], base: Assessment
) -> list[Shift]:
    """Each likelihood factor moved to each other level (counts by one): the band it would give."""
    shifts: list[Shift] = []
    for factor in base.factors:
        if factor.part != "likelihood" or factor.overridden:
            continue
        spec = model.likelihood.factors[factor.id]
        if spec.per_item is not None:
            count = int(factor.value or 0)
            options = [str(n) for n in (count - 1, count + 1) if 0 <= n <= (spec.max_items or count + 1)]
        else:
            options = [level for level in spec.levels if level != factor.value]
        for option in options:
            other = _evaluate(brief, risk, model, {**overrides, factor.id: option})
            shifts.append(Shift(factor.id, factor.label, factor.value, option, other.logit - base.logit, other.band))
    return shifts


def _evaluate(brief: Brief, risk: SanctionRisk, model: RiskModel, overrides: Mapping[str, str]) -> Assessment:
    stated = _stated(risk)
    results: list[FactorResult] = []
    for part_name, part in (("likelihood", model.likelihood), ("impact", model.impact)):
        for factor_id, spec in part.factors.items():
            problem = None
            value: str | None
            if spec.derived is not None:
                value, evidence = _derived(spec.derived, risk, brief)
            else:
                claims = stated.get(factor_id, [])
                evidence = [e for _, e in claims]
                values = list(dict.fromkeys(v for v, _ in claims))
                value = values[0] if values else None
                if len(values) > 1:
                    problem = f"evidence disagrees on the level: {', '.join(repr(v) for v in values)}"
            overridden = factor_id in overrides
            if overridden:
                value = overrides[factor_id]
            contribution, level_problem = _contribution(spec, value, evidence)
            results.append(
                FactorResult(
                    factor_id,
                    part_name,  # type: ignore[arg-type]
                    spec.label,
                    spec.why,
                    value,
                    contribution,
                    evidence,
                    overridden,
                    problem or level_problem,
                    contribution,
                    spec.group,
                )
            )
    # Factors that describe one fact count once: the group's strongest member stands for it.
    for group in {f.group for f in results if f.group}:
        members = [f for f in results if f.group == group]
        strongest = max(members, key=lambda f: abs(f.contribution))
        for member in members:
            member.counted = member.contribution if member is strongest else 0.0
    question = model.likelihood.questions.get(risk.question)
    baseline = question.baseline if question else model.likelihood.baseline
    question_problem = None
    if model.likelihood.questions and question is None:
        question_problem = (
            f"the model has no baseline for the question {risk.question!r}; "
            f"it answers {', '.join(model.likelihood.questions)}"
        )
    logit = baseline + sum(f.counted for f in results if f.part == "likelihood")
    probability = 1 / (1 + math.exp(-logit))
    band = band_for_probability(probability)
    impact_score = model.impact.baseline + sum(f.counted for f in results if f.part == "impact")
    impact: ImpactLevel = "low"
    for level in IMPACT_LEVELS:
        if impact_score >= model.impact.bands.get(level, math.inf):
            impact = level
    rating = model.rating.matrix[band.index][IMPACT_LEVELS.index(impact)]
    return Assessment(
        model,
        results,
        logit,
        probability,
        band,
        impact_score,
        impact,
        rating,
        risk.question,
        question.text if question else "",
        baseline,
        question.why if question else model.likelihood.why,
        question_problem=question_problem,
    )


def unknown_factor_references(brief: Brief, model: RiskModel) -> list[tuple[tuple[str | int, ...], str]]:
    """Exposure factors or mitigations naming a factor the model does not have."""
    risk = brief.sanction_risk
    if risk is None:
        return []
    found: list[tuple[tuple[str | int, ...], str]] = []
    for kind in ("exposure", "mitigations"):
        for index, item in enumerate(getattr(risk, kind)):
            if item.factor and model.spec(item.factor) is None:
                found.append(((("sanction_risk", kind, index, "factor")), item.factor))
    return found


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["waiver=granted"]`` → ``{"waiver": "granted"}``; malformed pairs are input errors."""
    result: dict[str, str] = {}
    problems = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            problems.append(Problem("--set", 0, 0, pair, "expected FACTOR=VALUE, e.g. waiver=granted"))
        else:
            result[name.strip()] = value.strip()
    if problems:
        raise InputError(problems)
    return result


def describe(assessment: Assessment) -> dict[str, Any]:
    """A plain summary (for the CLI and JSON output)."""
    return {
        "question": assessment.question,
        "likelihood": assessment.band.term,
        "range": assessment.band.range_text,
        "probability": round(assessment.probability, 3),
        "impact": assessment.impact,
        "rating": assessment.rating,
        "band_changes": [
            {"factor": s.factor, "from": s.value, "to": s.to, "likelihood": s.band.term}
            for s in assessment.band_changes
        ],
    }
