"""Lint findings and their rules: no heavy imports, so a cached build can report them fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "Finding", "Severity", "fails"]

Severity = Literal["error", "warning", "info"]

RULES: dict[str, tuple[Severity, str]] = {
    "unsourced": ("warning", "a fact or judgment cites no source"),
    "no-estimate": ("warning", "a judgment lacks a likelihood or a confidence level"),
    "hedge-word": ("warning", "a judgment uses a hedge word with no estimative meaning"),
    "unknown-likelihood": ("error", "a likelihood is not on the ICD 203 scale"),
    "mixed-rows": ("warning", "the brief mixes the scale's two rows of terms"),
    "confidence-sentence": ("warning", "likelihood and confidence are stated in the same sentence"),
    "date-order": ("warning", "dates are out of order"),
    "sources-differ": ("warning", "sources disagree on the same fact"),
    "sources-differ-shown": ("info", "a recorded source disagreement, shown in the brief"),
    "model-disagrees": ("warning", "the stated assessment and the risk model differ by more than one band"),
    "model-evidence": ("error", "evidence names a risk-model factor or level that does not exist or conflicts"),
    "uncited-source": ("info", "a listed source is cited nowhere"),
    "ungraded-source": ("warning", "a source has no reliability grade (A–F)"),
    "single-source": ("warning", "a key judgment rests on a single source"),
    "relayed-only": ("warning", "a key judgment rests only on secondary reporting that relays another outlet"),
    "low-grade-sources": ("warning", "a key judgment rests only on sources graded D–F"),
    "after-cutoff": ("warning", "a fact or a source is dated after the information cutoff"),
    "no-horizon": ("warning", "a judgment states no time frame"),
    "scenarios-incoherent": ("warning", "scenarios whose likelihoods cannot sum to about 100%, or repeat an id"),
    "scenario-indicators": ("warning", "a scenario with no indicator that would show it unfolding"),
    "unknown-scenario": ("error", "a watch item links to a scenario that does not exist"),
    "model-disagreement-stated": ("info", "the analysts disagree with the risk model and say why in the brief"),
    "unused-entry": ("info", "a fact-library entry no brief uses"),
    "evidence-mismatch": ("error", "an evidence quote is not in its source's saved text, or names an unknown source"),
    "no-catalog": ("warning", "the brief's language has no message catalog: its labels print in English"),
    "to-confirm": ("warning", "a draft's candidate fact is still to confirm (turn it into a fact or delete it)"),
}


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    message: str

    @property
    def severity(self) -> Severity:
        return RULES[self.rule][0]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


def fails(findings: list[Finding], strict: bool) -> bool:
    return any(f.severity == "error" or (strict and f.severity == "warning") for f in findings)
