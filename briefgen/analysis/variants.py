"""Variants by audience: a brief filtered down to what one release level may see.

A fact, judgment, section item or source marked ``release: internal`` is left out of every
variant for a wider audience; sources are dropped before rendering, so the variant's source
numbering has no gaps. A statement whose every source is withheld is left out too (it would
repeat withheld material in other words). The sanction-risk assessment is kept only when all
of its evidence is releasable; otherwise the variant says that it rests on withheld material.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from briefgen.facts.schema import Brief, Cited, Source
from briefgen.i18n import N_, translate_in

__all__ = ["ReleaseView", "is_marked", "releasable", "release_view"]

WITHHELD_RISK = N_("The sanction-risk assessment is not included: it rests on material withheld from this release.")


@dataclass(frozen=True)
class ReleaseView:
    """What one audience gets of a brief."""

    level: str
    brief: Brief | None  # None: the brief as a whole is not releasable to this level
    withheld: int  # statements and sources left out
    marked: bool  # the brief carries release markings at all (else the variant is the brief)


def is_marked(brief: Brief) -> bool:
    """Whether anything in the brief carries a release marking."""
    if brief.brief.release or any(s.release for s in brief.sources):
        return True
    return any(item.release for _loc, item in brief.cited())


def releasable(marking: str | None, level: str, ladder: Sequence[str]) -> bool:
    """Whether something marked ``marking`` may be seen at ``level``. An unknown marking counts
    as above every level (a typo withholds, never leaks)."""
    rank = {name: index for index, name in enumerate(ladder)}
    return marking is None or rank.get(marking, len(ladder)) <= rank.get(level, -1)


def release_view(brief: Brief, level: str, ladder: Sequence[str], banners: dict[str, str] | None = None) -> ReleaseView:
    """``brief`` as the ``level`` audience may see it. An unknown marking counts as above
    every level (a typo withholds, never leaks)."""
    if not is_marked(brief):
        return ReleaseView(level, brief, 0, False)

    def allowed(marking: str | None) -> bool:
        return releasable(marking, level, ladder)

    if not allowed(brief.brief.release):
        return ReleaseView(level, None, 1, True)
    withheld_sources = {s.id for s in brief.sources if not allowed(s.release)}
    count = [len(withheld_sources)]

    def keep(value: Any) -> Any:
        """``value`` with withheld items removed; ``_DROP`` when the value itself goes."""
        if isinstance(value, Cited):
            if not allowed(value.release):
                count[0] += 1
                return _DROP
            cited = [s for s in value.sources if s not in withheld_sources]
            if value.sources and not cited:
                count[0] += 1
                return _DROP
            update: dict[str, Any] = {"sources": cited}
            update["variants"] = [v for v in value.variants if not set(v.sources) & withheld_sources]
            return _rebuild(value, update, keep)
        if isinstance(value, BaseModel):
            return _rebuild(value, {}, keep)
        if isinstance(value, list):
            return [kept for item in value if (kept := keep(item)) is not _DROP]
        return value

    risk = brief.sanction_risk
    before = count[0]
    risk_view = keep(risk) if risk is not None else None
    risk_cut = risk is not None and (count[0] != before or risk_view is _DROP or _sources_cut(risk, withheld_sources))
    summary = brief.brief.summary
    if risk_cut:
        risk_view = None
        note = translate_in(brief.brief.language, WITHHELD_RISK)  # said in the brief's language
        summary = f"{summary}\n\n*{note}*" if summary else f"*{note}*"
    marking = (banners or {}).get(level) or f"{level.upper()} RELEASE"
    meta = brief.brief.model_copy(update={"marking": marking, "summary": summary, "release": None})
    rest = {name: keep(getattr(brief, name)) for name in ("key_judgments", "event", "agreements", "context", "outlook")}
    if rest["event"] is _DROP:
        rest["event"] = None
    sources = [s for s in brief.sources if s.id not in withheld_sources]
    view = brief.model_copy(update={"brief": meta, "sources": _plain(sources), "sanction_risk": risk_view, **rest})
    return ReleaseView(level, view, count[0], True)


class _Drop:
    pass


_DROP: Any = _Drop()


def _plain(sources: list[Source]) -> list[Source]:
    return [s.model_copy(update={"release": None}) for s in sources]


def _sources_cut(risk: Cited, withheld: set[str]) -> bool:
    from briefgen.facts.schema import walk_cited

    return any(set(item.sources) & withheld for _loc, item in walk_cited(risk, ()))


def _rebuild(model: BaseModel, update: dict[str, Any], keep: Any) -> BaseModel:
    fields = {}
    for name in type(model).model_fields:
        if name in update:
            fields[name] = update[name]
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel | list):
            kept = keep(value)
            fields[name] = None if kept is _DROP else kept
        else:
            fields[name] = value
    if "release" in fields:
        fields["release"] = None  # the variant carries no markings: nothing left to withhold
    return model.model_copy(update=fields)
