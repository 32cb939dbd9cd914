"""Estimative language after ICD 203: the likelihood scale, its two term rows, confidence.

A likelihood may be written as a term from either row or as a probability; both map to
one band of the scale. The scale is data, so the annex, the linter and the risk model
all read the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from briefgen.i18n import N_
from briefgen.i18n import gettext as _

Row = Literal["term", "alternative"]


@dataclass(frozen=True)
class Band:
    index: int
    term: str
    alternative: str
    low: float
    high: float

    def name(self, row: Row = "term") -> str:
        return self.term if row == "term" else self.alternative

    @property
    def range_text(self) -> str:
        """``55–80%``, written as the active language writes a percentage range."""
        # Translators: a probability range of the ICD 203 scale; keep %% (a literal percent sign).
        return _("%(low)d–%(high)d%%") % {"low": round(self.low * 100), "high": round(self.high * 100)}


#: ICD 203's seven bands. Adjacent bands share their boundary; a probability on a
#: boundary goes to the band it opens (e.g. 0.55 is "likely").
SCALE: tuple[Band, ...] = (
    # Translators: ICD 203 likelihood terms, primary then alternative row.
    # Follow the rendering your readers' defence or intelligence writing
    # uses where one exists, and say in a comment whose it is.
    Band(0, N_("almost no chance"), N_("remote"), 0.01, 0.05),
    Band(1, N_("very unlikely"), N_("highly improbable"), 0.05, 0.20),
    Band(2, N_("unlikely"), N_("improbable"), 0.20, 0.45),
    Band(3, N_("roughly even chance"), N_("roughly even odds"), 0.45, 0.55),
    Band(4, N_("likely"), N_("probable"), 0.55, 0.80),
    Band(5, N_("very likely"), N_("highly probable"), 0.80, 0.95),
    Band(6, N_("almost certain"), N_("nearly certain"), 0.95, 0.99),
)

CONFIDENCE_LEVELS: dict[str, str] = {
    "high": N_(
        "Judgments rest on high-quality information from multiple sources; a high-confidence judgment can"
        " still be wrong."
    ),
    "moderate": N_("The information is credibly sourced and plausible but not corroborated enough for a higher level."),
    "low": N_(
        "The information is scant, questionable, fragmented or poorly corroborated, or solid inferences"
        " cannot be drawn from it."
    ),
}

#: How the annex names each confidence level, and the sentence a judgment states it in (ICD 203
#: keeps likelihood and confidence in separate sentences).
CONFIDENCE_TITLES: dict[str, str] = {
    "high": N_("High confidence"),
    "moderate": N_("Moderate confidence"),
    "low": N_("Low confidence"),
}
CONFIDENCE_SENTENCES: dict[str, str] = {
    "high": N_("We have high confidence in this judgment."),
    "moderate": N_("We have moderate confidence in this judgment."),
    "low": N_("We have low confidence in this judgment."),
}

_BY_NAME: dict[str, tuple[Band, Row]] = {
    **{b.term: (b, "term") for b in SCALE},
    **{b.alternative: (b, "alternative") for b in SCALE},
}


@dataclass(frozen=True)
class Likelihood:
    """A parsed likelihood: its band, which row its wording came from, and any stated probability."""

    band: Band
    row: Row | None  # None when given as a probability (no wording chosen)
    probability: float | None = None

    def text(self, row: Row = "term") -> str:
        return self.band.name(self.row or row)


class UnknownLikelihood(ValueError):
    pass


def band_for_probability(p: float) -> Band:
    for band in SCALE:
        if p < band.high:
            return band
    return SCALE[-1]


def parse_likelihood(value: str | float | int) -> Likelihood:
    """``"likely"``, ``"probable"``, ``0.7`` or ``"70%"`` → :class:`Likelihood`."""
    if isinstance(value, bool):
        raise UnknownLikelihood(f"{value!r} is not a likelihood")
    if isinstance(value, int | float):
        p = float(value)
    else:
        text = " ".join(value.lower().split())
        if text in _BY_NAME:
            band, row = _BY_NAME[text]
            return Likelihood(band, row)
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", text) or re.fullmatch(r"0?\.\d+|[01](?:\.0+)?", text)
        if not match:
            raise UnknownLikelihood(f"{value!r} is not on the ICD 203 scale ({', '.join(b.term for b in SCALE)})")
        p = float(match[1]) / 100 if text.endswith("%") else float(text)
    if not 0.0 <= p <= 1.0:
        raise UnknownLikelihood(f"probability {value!r} is outside 0–1 (or 0–100%)")
    return Likelihood(band_for_probability(p), None, p)


def terms_in(text: str) -> list[tuple[Band, Row]]:
    """Scale terms that occur in free text, longest first so "very unlikely" is not read as "unlikely"."""
    found: list[tuple[Band, Row]] = []
    lowered = text.lower()
    for name in sorted(_BY_NAME, key=len, reverse=True):
        pattern = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
        if re.search(pattern, lowered):
            found.append(_BY_NAME[name])
            lowered = re.sub(pattern, " ", lowered)
    return found
