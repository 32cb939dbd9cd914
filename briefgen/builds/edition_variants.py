"""An edition for one audience: ``output/variants/<level>/editions/<id>.html|pdf|json``.

Built from that audience's variant of each brief (:func:`briefgen.analysis.variants.release_view`),
never by hiding parts of the whole edition: its banner is the level's, its contents, page
numbers and source numbers are its own, and its "what changed" compares it with the previous
edition's *same* variant (the ``.json`` snapshot beside it), so a public reader's list never
mentions an internal fact being added, changed or removed, and an internal fact released
later shows up as new for them. A library action marked ``release: …`` is left out of the
editions of wider audiences as any fact is. Cached like any output: a key of the variant's
facts, its previous snapshot and the theme sits beside the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import i18n
from briefgen.builds.editions import EditionResult, _EditionPlan, _render_edition, _snapshots, editions_dir
from briefgen.builds.variants import variant_dir
from briefgen.builds.write import output_file
from briefgen.config import Config, Format

if TYPE_CHECKING:
    from briefgen.analysis.editions import Change
    from briefgen.facts.library import Action
    from briefgen.facts.load import LoadedBrief
    from briefgen.facts.schema import Brief

__all__ = [
    "EditionVariant",
    "approval_digest",
    "build_edition_variant",
    "edition_marked",
    "edition_variants",
    "variant_editions_dir",
]


@dataclass
class EditionVariant:
    """What one audience gets of an edition."""

    edition: EditionResult
    level: str
    marking: str
    briefs: list[Brief]  # the variant of each brief the level may see (a brief not releasable is left out)
    withheld: int  # statements, sources and whole briefs left out
    changes: list[Change]
    previous_id: str | None
    snapshot: dict[str, Any]
    previous: dict[str, Any] | None
    actions: list[Action] = field(default_factory=list)  # the library actions of the week the level may see

    @property
    def id(self) -> str:
        return self.edition.id

    @property
    def digest(self) -> str:
        """The variant's content: its facts and banner (the ledger's version, and what approval covers)."""
        return _digest(self.edition, self.level, self.marking, self.briefs, self.actions)


def _digest(
    edition: EditionResult, level: str, marking: str, briefs: Sequence[Brief], actions: Sequence[Action]
) -> str:
    digest = hashlib.sha256(f"{edition.id}\0{level}\0{marking}".encode())
    for brief in briefs:
        digest.update(b"\0" + brief.model_dump_json().encode())
    for action in actions:
        digest.update(f"\0{action.id}|{action.title}|{action.date}".encode())
    return digest.hexdigest()


def _views(edition: EditionResult, level: str, config: Config) -> tuple[list[Brief], int, str]:
    """The level's variant of each brief (those not releasable left out), how much was withheld, its banner."""
    from briefgen.analysis.variants import release_view

    options = config.release
    views = [release_view(b, level, options.ladder, options.banners) for b in edition.briefs]
    marking = options.banners.get(level) or f"{level.upper()} RELEASE"
    return [v.brief for v in views if v.brief is not None], sum(v.withheld for v in views), marking


def _releasable_actions(actions: Sequence[Action], level: str, config: Config) -> list[Action]:
    """The library actions ``level`` may see: an action marked ``release: internal`` is left out
    of every wider audience's edition, its table and its "what changed"."""
    from briefgen.analysis.variants import releasable

    return [a for a in actions if releasable(a.release, level, config.release.ladder)]


def variant_editions_dir(config: Config, level: str) -> Path:
    return variant_dir(config, level) / "editions"


def edition_marked(edition: EditionResult) -> bool:
    """Whether any brief or library action of the edition carries a release marking (else every
    audience gets the whole)."""
    from briefgen.analysis.variants import is_marked

    return any(is_marked(b) for b in edition.briefs) or any(a.release for a in edition.actions)


def edition_variants(edition: EditionResult, levels: Sequence[str], config: Config) -> dict[str, EditionVariant]:
    """The edition's variant for each of ``levels``, from the facts already loaded for it.

    The previous edition's variant is its stored snapshot; when that variant was never built
    (the previous edition had no markings, or was built before), it is worked out from the
    previous window's facts, loaded once for all levels.
    """
    from briefgen.analysis.editions import diff, latest_before, snapshot

    whole = latest_before(
        [s for key, s in _snapshots(editions_dir(config)).items() if key != edition.id], edition.window
    )
    every: list[LoadedBrief] | None = None
    out: dict[str, EditionVariant] = {}
    for level in levels:
        briefs, withheld, marking = _views(edition, level, config)
        actions = _releasable_actions(edition.actions, level, config)
        withheld += len(edition.actions) - len(actions)
        current = snapshot(edition.window, briefs, actions)
        stored = latest_before(
            [s for key, s in _snapshots(variant_editions_dir(config, level)).items() if key != edition.id],
            edition.window,
        )
        previous = stored
        if whole is not None and (stored is None or stored["window"][0] < whole["window"][0]):
            if every is None:
                every = _load_all(config)
            previous = _variant_snapshot(whole, every, level, config)
        with i18n.using(briefs[0].brief.language if briefs else i18n.SOURCE_LANGUAGE):
            changes = diff(previous, current)  # worded in the edition's language
        out[level] = EditionVariant(
            edition, level, marking, briefs, withheld, changes,
            previous["edition"] if previous else None, current, previous, actions,
        )  # fmt: skip
    return out


def _load_all(config: Config) -> list[LoadedBrief]:
    from briefgen.builds.briefs import validate
    from briefgen.facts.yamldoc import find_inputs

    if config.inputs_dir.is_dir() and not find_inputs([config.inputs_dir]):
        return []
    return validate(None, config)


def _variant_snapshot(
    whole: dict[str, Any], every: Sequence[LoadedBrief], level: str, config: Config
) -> dict[str, Any]:
    """The snapshot the previous edition's ``level`` variant would have had, from its window's facts."""
    from briefgen.analysis.editions import Window, actions_in, gather, snapshot
    from briefgen.analysis.variants import release_view
    from briefgen.facts.library import load_library, workspace_library

    start, end = (dt.date.fromisoformat(day) for day in whole["window"])
    window = Window(start, end, whole["edition"])
    options = config.release
    views = [release_view(b.brief, level, options.ladder, options.banners).brief for b in gather(every, window)]
    library = load_library(workspace_library(config.inputs_dir))
    actions = [library.named(a) for a in actions_in(list(library.actions.values()), window)]
    return snapshot(window, [v for v in views if v is not None], _releasable_actions(actions, level, config))


def build_edition_variant(variant: EditionVariant, config: Config, formats: Sequence[Format]) -> dict[str, Path]:
    """The variant's files, built unless a build of the same facts, previous edition and theme is on disk."""
    from briefgen.builds.briefs import theme_key
    from briefgen.builds.workers import jinja_environment

    folder = variant_editions_dir(config, variant.level)
    # Only what is asked for (and the HTML the archive keeps): a variant nobody reads as PDF is
    # never laid out. The key does not depend on the formats, so a later PDF adds to the HTML.
    wanted: list[Format] = sorted({"html", *formats})
    ident = variant.id
    stamp = folder / f"{ident}.key"
    every: list[Format] = sorted({"html", "pdf", *config.build.formats})
    key = hashlib.sha256(
        "\0".join([variant.digest, json.dumps(variant.previous, sort_keys=True), theme_key(config, every)]).encode()
    ).hexdigest()
    paths = {fmt: output_file(folder, ident, fmt) for fmt in wanted}
    fresh = stamp.is_file() and stamp.read_text(encoding="utf-8") == key
    if fresh and all(p.is_file() for p in paths.values()):
        return {fmt: paths[fmt] for fmt in formats}
    if not fresh:  # the files on disk are of other facts: none of them may be served later as current
        stamp.unlink(missing_ok=True)
        for fmt in every:
            if fmt not in wanted:
                output_file(folder, ident, fmt).unlink(missing_ok=True)
    plan = _EditionPlan(
        variant.edition.window, [], variant.changes, variant.previous_id, variant.snapshot,
        list(variant.actions), briefs=variant.briefs, folder=folder, marking=variant.marking,
    )  # fmt: skip
    _render_edition(plan, config, wanted, jinja_environment(config))
    # The key goes last: a variant counts as built only once its files and snapshot exist.
    from briefgen.builds.write import atomic_write

    atomic_write(stamp, key.encode())
    return {fmt: paths[fmt] for fmt in formats}


def approval_digest(edition: EditionResult, config: Config) -> str:
    """What an approval is of: every variant of the edition (each audience's facts and banner).

    One approval covers all variants of one edition: the approver signs off the week's
    content as a whole (each reads the variants their level may see), and a change to any variant,
    or to the ladder or banners that shape them, gives a new hash that no one has approved.
    """
    digest = hashlib.sha256(edition.id.encode())
    for brief in edition.briefs:
        digest.update(b"\0" + brief.model_dump_json().encode())
    if edition_marked(edition):
        for level in config.release.ladder:
            briefs, _withheld, marking = _views(edition, level, config)
            actions = _releasable_actions(edition.actions, level, config)
            digest.update(f"\0{level}={_digest(edition, level, marking, briefs, actions)}".encode())
    return digest.hexdigest()
