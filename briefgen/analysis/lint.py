"""``briefgen lint``: analytic-integrity checks after ICD 203 (estimative language) and ICD 206 (sourcing).

Each rule has an id; findings print as ``file:line: rule-id: message`` like ruff. Severity:
``error`` always fails ``lint``; ``warning`` fails with ``--strict``; ``info`` never fails
(an acknowledged source disagreement is information for the reader, not a defect).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel

from briefgen.analysis.estimative import Likelihood, Row, UnknownLikelihood, parse_likelihood, terms_in
from briefgen.analysis.findings import Finding
from briefgen.analysis.risk import RiskModel, assess, unknown_factor_references
from briefgen.facts.evidence import quote_in, text_path
from briefgen.facts.library import Library, unused
from briefgen.facts.load import LoadedBrief, display_name
from briefgen.facts.schema import Brief, Cited, Evidence, PartialDate

Loc = tuple[str | int, ...]

#: Words that hedge without estimating: they say something is possible, not how likely.
HEDGE_WORDS = ("may", "might", "could", "possibly", "perhaps", "maybe", "conceivably", "potentially")
# Case-sensitive on purpose for "may": "in May 2022" is a month, not a hedge.
_HEDGE = re.compile(
    r"\b(may|[Mm]ight|[Cc]ould|[Pp]ossibly|[Pp]erhaps|[Mm]aybe|[Cc]onceivably|[Pp]otentially)\b"
    r"|\b([Ii]t is possible|cannot be ruled out|can't be ruled out)\b"
)


class _Linter:
    def __init__(self, loaded: LoadedBrief, model: RiskModel | None, root: Path | None = None) -> None:
        self.root = root
        self.loaded = loaded
        self.brief: Brief = loaded.brief
        self.model = model
        self.findings: list[Finding] = []
        self.name = display_name(loaded.path)

    def add(self, loc: Loc, rule: str, message: str) -> None:
        line, _ = self.loaded.document.locate(loc)
        self.findings.append(Finding(self.name, line, rule, message))

    # ---------------------------------------------------------------- sourcing
    def sourcing(self) -> None:
        cited: set[str] = set()
        for loc, statement in self.brief.cited():
            cited.update(statement.sources)
            for variant in statement.variants:
                cited.update(variant.sources)
            if not statement.sources:
                self.add((*loc, "sources") if loc else loc, "unsourced", f"{_describe(loc)} cites no source")
        for index, source in enumerate(self.brief.sources):
            if source.id not in cited:
                self.add(("sources", index, "id"), "uncited-source", f"source {source.id!r} is never cited")

    # ---------------------------------------------------------------- estimative language
    def _judgments(self) -> Iterator[tuple[Loc, str, object, object]]:
        """(loc, text, likelihood, confidence) of every judgment in the brief."""
        for index, kj in enumerate(self.brief.key_judgments):
            yield ("key_judgments", index), kj.text, kj.likelihood, kj.confidence
        risk = self.brief.sanction_risk
        if risk is not None and risk.assessment is not None:
            a = risk.assessment
            yield ("sanction_risk", "assessment"), a.rationale or "", a.likelihood, a.confidence

    def estimative(self) -> None:
        rows: dict[Row, list[str]] = {}
        for loc, text, likelihood, confidence in self._judgments():
            where = _describe(loc)
            if likelihood is None or confidence is None:
                missing = " and ".join(
                    n for n, v in (("likelihood", likelihood), ("confidence", confidence)) if v is None
                )
                self.add(loc, "no-estimate", f"{where} states no {missing}")
            if likelihood is not None:
                try:
                    parsed: Likelihood = parse_likelihood(likelihood)  # type: ignore[arg-type]
                except UnknownLikelihood as exc:
                    self.add((*loc, "likelihood"), "unknown-likelihood", str(exc))
                else:
                    if parsed.row:
                        rows.setdefault(parsed.row, []).append(f"{where} ({parsed.text()})")
            for match in _HEDGE.finditer(text):
                word = match.group(0)
                self.add(
                    (*loc, "text") if loc[0] == "key_judgments" else (*loc, "rationale"),
                    "hedge-word",
                    f"{where} says {word!r}, which has no estimative meaning; state a likelihood from the scale",
                )
            for band, row in terms_in(text):
                rows.setdefault(row, []).append(f"{where} text ({band.name(row)})")
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                if terms_in(sentence) and re.search(r"\bconfiden(ce|t)\b", sentence, re.I):
                    self.add(loc, "confidence-sentence", f"{where}: state confidence in a sentence of its own")
        if summary := self.brief.brief.summary:
            for band, row in terms_in(summary):
                rows.setdefault(row, []).append(f"summary ({band.name(row)})")
            for sentence in re.split(r"(?<=[.!?])\s+", summary):
                if terms_in(sentence) and re.search(r"\bconfiden(ce|t)\b", sentence, re.I):
                    self.add(
                        ("brief", "summary"), "confidence-sentence", "summary: state confidence in its own sentence"
                    )
        if len(rows) > 1:
            self.add(
                ("key_judgments",),
                "mixed-rows",
                "use one row of the scale, not both: terms in "
                + ", ".join(rows["term"][:3])
                + "; alternatives in "
                + ", ".join(rows["alternative"][:3]),
            )

    # ---------------------------------------------------------------- dates
    def dates(self) -> None:
        brief_date = self.brief.brief.date

        def later(a: PartialDate, b: PartialDate) -> bool:
            return a.first_day() > b.last_day()  # "2030" is not after "2030-06"

        for index, agreement in enumerate(self.brief.agreements):
            term, loc = agreement.term, ("agreements", index)
            if term and term.start and term.end and later(term.start, term.end):
                self.add(
                    (*loc, "term"),
                    "date-order",
                    f"{_describe(loc)}: term ends ({term.end}) before it starts ({term.start})",
                )
            if agreement.signed and term and term.end and later(agreement.signed, term.end):
                self.add(
                    (*loc, "signed"),
                    "date-order",
                    f"{_describe(loc)}: signed ({agreement.signed}) after its term ended",
                )
        event = self.brief.event
        if event and event.end_date and later(event.date, event.end_date):
            self.add(
                ("event", "end_date"),
                "date-order",
                f"the event ends ({event.end_date}) before it starts ({event.date})",
            )
        risk = self.brief.sanction_risk
        if risk:
            for index, precedent in enumerate(risk.precedents):
                if precedent.date.first_day() > brief_date:
                    self.add(
                        ("sanction_risk", "precedents", index, "date"),
                        "date-order",
                        f"precedent dated {precedent.date} is after the brief's date ({brief_date})",
                    )
        for index, source in enumerate(self.brief.sources):
            if source.published and source.accessed and source.published.first_day() > source.accessed:
                self.add(
                    ("sources", index, "accessed"),
                    "date-order",
                    f"source {source.id!r} accessed before it was published",
                )
            if source.published and source.published.first_day() > brief_date:
                self.add(
                    ("sources", index, "published"),
                    "date-order",
                    f"source {source.id!r} ({source.published}) is dated after the brief ({brief_date})",
                )  # fmt: skip

    # ---------------------------------------------------------------- disagreements
    def disagreements(self) -> None:
        for loc, statement in self.brief.cited():
            for index, variant in enumerate(statement.variants):
                kept = _field_value(statement, variant.field)
                self.add(
                    (*loc, "variants", index),
                    "sources-differ-shown",
                    f"{_describe(loc)}: sources differ on {variant.field}: {kept} kept, "
                    f"{variant.value} per {', '.join(variant.sources)}; shown in the brief",
                )
        # The same fact entered twice from different sources with different values.
        groups: dict[tuple[str, str], list[tuple[Loc, Cited]]] = {}
        for loc, statement in self.brief.cited():
            key = _identity(loc, statement)
            if key:
                groups.setdefault(key, []).append((loc, statement))
        for (_, label), members in groups.items():
            if len(members) < 2:
                continue
            _, first = members[0]
            for loc, other in members[1:]:
                for field, a, b in _differences(first, other):
                    self.add(
                        loc,
                        "sources-differ",
                        f"{label!r}: {field} is {a} per {', '.join(first.sources)} but {b} per "
                        f"{', '.join(other.sources)}; keep one entry and record the other under `variants`",
                    )

    # ---------------------------------------------------------------- evidence and drafts
    def _evidence(self) -> Iterator[tuple[Loc, Evidence]]:
        for loc, statement in self.brief.cited():
            if isinstance(statement.evidence, list):  # a risk factor's `evidence` is prose
                for index, item in enumerate(statement.evidence):
                    yield (*loc, "evidence", index), item
        for index, candidate in enumerate(self.brief.candidates):
            if candidate.evidence is not None:
                yield ("candidates", index, "evidence"), candidate.evidence

    def evidence(self) -> None:
        """Every quote must be in its source's saved text (when the workspace has it)."""
        known = {s.id for s in self.brief.sources}
        texts: dict[str, str | None] = {}
        for loc, item in self._evidence():
            if item.source not in known:
                self.add(
                    (*loc, "source"),
                    "evidence-mismatch",
                    f"{_describe(loc)} quotes unknown source {item.source!r} (known: {', '.join(sorted(known))})",
                )
                continue
            if self.root is None:
                continue
            if item.source not in texts:
                path = text_path(self.root, item.source)
                texts[item.source] = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
            text = texts[item.source]
            if text is not None and not quote_in(item.quote, text):
                self.add(
                    (*loc, "quote"),
                    "evidence-mismatch",
                    f"{_describe(loc)}: {item.quote!r} is not in the text of {item.source!r}"
                    f"{' at ' + item.locator if item.locator else ''}",
                )

    def drafts(self) -> None:
        if self.brief.brief.draft:
            self.add(
                ("brief", "draft"),
                "to-confirm",
                f"a draft with {len(self.brief.candidates)} candidate(s) to confirm; "
                "remove `draft: true` when it is done (build it meanwhile with --drafts)",
            )
        for index, c in enumerate(self.brief.candidates):
            parsed = ""
            if "date" in c.value and c.value["date"] is None:
                readings = " or ".join(str(r) for r in c.value.get("readings", []))
                parsed = f" = ? ({readings or c.value.get('note', 'unresolved')})"
            elif "date" in c.value:
                parsed = f" = {c.value['date']} ({c.value.get('precision', '?')})"
            elif "amount" in c.value:
                parsed = f" = {c.value['amount']} {c.value.get('currency', '')}".rstrip()
            elif "id" in c.value:
                parsed = f" = {c.value['id']}"
            text = c.text if len(c.text) <= 60 else c.text[:57] + "…"
            self.add(
                ("candidates", index),
                "to-confirm",
                f"{c.kind} {text!r}{parsed} → {c.belongs.replace('_', ' ')} (sentence {c.sentence})",
            )

    # ---------------------------------------------------------------- the model
    def model_checks(self) -> None:
        risk = self.brief.sanction_risk
        if risk is None or self.model is None:
            return
        for loc, name in unknown_factor_references(self.brief, self.model):
            self.add(
                loc, "model-evidence", f"the risk model has no factor {name!r} ({', '.join(self.model.factor_ids)})"
            )
        result = assess(self.brief, self.model)
        assert result is not None
        for factor, problem in result.problems:
            loc = factor.evidence[0].loc if factor.evidence else ("sanction_risk",)
            self.add((*loc, "value"), "model-evidence", f"factor {factor.id!r}: {problem}")
        if risk.assessment is None:
            return
        try:
            stated = parse_likelihood(risk.assessment.likelihood)
        except UnknownLikelihood:
            return  # reported by unknown-likelihood
        gap = abs(stated.band.index - result.band.index)
        if gap > 1:
            self.add(
                ("sanction_risk", "assessment", "likelihood"),
                "model-disagrees",
                f"stated likelihood {stated.text()!r} is {gap} bands from the model's {result.band.term!r} "
                f"({result.probability:.0%}); revisit the evidence or explain the difference",
            )
        from briefgen.analysis.risk import IMPACT_LEVELS

        impact_gap = abs(IMPACT_LEVELS.index(risk.assessment.impact) - IMPACT_LEVELS.index(result.impact))
        if impact_gap > 1:
            self.add(
                ("sanction_risk", "assessment", "impact"),
                "model-disagrees",
                f"stated impact {risk.assessment.impact!r} is {impact_gap} levels from the model's {result.impact!r}",
            )


def _describe(loc: Loc) -> str:
    if not loc:
        return "the brief"
    out = str(loc[0]).replace("_", " ")
    for part in loc[1:]:
        out += f" #{part + 1}" if isinstance(part, int) else f" {str(part).replace('_', ' ')}"
    return out


def _field_value(statement: object, dotted: str) -> str:
    value: object = statement
    for part in dotted.split("."):
        value = getattr(value, part, None)
        if value is None:
            return "(not set)"
    return str(value)


def _identity(loc: Loc, statement: Cited) -> tuple[str, str] | None:
    title = getattr(statement, "title", None) or getattr(statement, "target", None)
    if not isinstance(title, str) or len(loc) < 1:
        return None
    return (str(loc[0]) + (str(loc[1]) if len(loc) > 2 else ""), " ".join(title.lower().split()))


def _differences(a: Cited, b: Cited) -> Iterator[tuple[str, str, str]]:
    skip = {"sources", "variants", "notes", "text", "reason", "evidence", "description"}
    for name in type(a).model_fields:
        if name in skip:
            continue
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, BaseModel) and isinstance(right, BaseModel):
            for sub in type(left).model_fields:
                x, y = getattr(left, sub), getattr(right, sub)
                if x is not None and y is not None and x != y:
                    yield f"{name}.{sub}", str(x), str(y)
        elif left is not None and right is not None and left != right:
            yield name, str(left), str(right)


def lint_brief(loaded: LoadedBrief, model: RiskModel | None = None, root: Path | None = None) -> list[Finding]:
    """Every finding for one brief, sorted by line. ``root`` is the workspace whose
    ``library/texts/`` holds the sources' texts that evidence quotes are checked against."""
    linter = _Linter(loaded, model, root)
    linter.sourcing()
    linter.estimative()
    linter.dates()
    linter.disagreements()
    linter.model_checks()
    linter.evidence()
    linter.drafts()
    return sorted(set(linter.findings), key=lambda f: (f.file, f.line, f.rule, f.message))


def lint_library(library: Library, briefs: Sequence[LoadedBrief]) -> list[Finding]:
    """Library entries that no brief draws on: a note, since an entry may wait for its brief."""
    used = {i for b in briefs for i in b.used}
    # An entry that a used action or authority draws on (an action's targets, its law) is used too.
    for ident in list(used):
        if (action := library.actions.get(ident)) is not None:
            used.update(t.actor for t in action.targets if t.actor)
            used.update(i for i in (action.law, action.by, *action.sources) if i)
        if (authority := library.authorities.get(ident)) is not None:
            used.update(authority.sources)
    findings = []
    for kind, ident, where in unused(library, used):
        file, _, line = where.rpartition(":")
        findings.append(Finding(file, int(line), "unused-entry", f"{kind} entry {ident!r} is used by no brief"))
    return sorted(findings)
