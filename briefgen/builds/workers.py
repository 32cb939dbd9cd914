"""Worker processes that import the renderer once, and rendering with a workspace's theme."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from briefgen.config import Config

if TYPE_CHECKING:
    import jinja2

    from briefgen.facts.schema import Brief
    from briefgen.render.bind import PdfPart


def jinja_environment(config: Config) -> jinja2.Environment:
    from briefgen.render.environment import make_environment
    from briefgen.render.theme import template_dirs

    return make_environment(template_dirs(config.templates_dir))


def layout_pdf(
    html: str,
    config: Config,
    date: dt.date,
    facts: Brief | None = None,
    edition: tuple[str, Sequence[Brief]] | None = None,
) -> Any:
    """Lay out ``html`` in the configured PDF standard; a PDF/A-3 brief carries ``facts``, a
    PDF/A-3 edition the facts of its briefs (``edition``: its id and briefs)."""
    from briefgen.facts.archive import EDITION_FACTS_NAME, FACTS_NAME, edition_facts_json, facts_json
    from briefgen.render import pdf
    from briefgen.render.theme import template_dirs

    embedded = []
    if facts is not None and config.build.pdf_standard.startswith("a-3"):
        description = "The validated facts this brief was built from (briefgen extract reads them back)"
        embedded.append(pdf.Embedded(FACTS_NAME, facts_json(facts), description))
    if edition is not None and config.build.pdf_standard.startswith("a-3"):
        description = "The validated facts of the briefs this edition was built from"
        embedded.append(pdf.Embedded(EDITION_FACTS_NAME, edition_facts_json(*edition), description))
    return pdf.write_pdf(
        html,
        base_dir=config.assets_dir,
        allowed_roots=[*template_dirs(config.templates_dir), config.assets_dir],
        date=date,
        standard=config.build.pdf_standard,
        embedded=embedded,
    )


class PartRunner:
    """Runs part layouts in this process, or in ``jobs`` worker processes."""

    def __init__(self, config: Config, date: dt.date, jobs: int) -> None:
        self.config, self.date, self.jobs = config, date, jobs
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Callable[[Sequence[tuple[str, str]]], list[PdfPart]]:
        if self.jobs > 1:
            self.pool = worker_pool(self.jobs)
        return self.run

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def run(self, tasks: Sequence[tuple[str, str]]) -> list[PdfPart]:
        if self.pool is None:
            return [_part_job(kind, html, self.config, self.date) for kind, html in tasks]
        futures = [self.pool.submit(_part_job, kind, html, self.config, self.date) for kind, html in tasks]
        return [f.result() for f in futures]


def _part_job(kind: str, html: str, config: Config, date: dt.date) -> PdfPart:
    from briefgen.render import pdf
    from briefgen.render.bind import PdfPart
    from briefgen.render.theme import template_dirs

    roots = [*template_dirs(config.templates_dir), config.assets_dir]
    if kind == "numbers":
        # the page-number layer is stamped over tagged pages: it must not bring a tree of its own
        rendered = pdf.write_pdf(html, base_dir=config.assets_dir, allowed_roots=roots, date=date, standard="none")
        return PdfPart(rendered.data, rendered.pages)
    # Binding parts keeps their pages, not their structure trees: a parted edition is untagged.
    return pdf.write_part(html, base_dir=config.assets_dir, allowed_roots=roots, date=date, standard="none")


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that import the renderer once, then render many documents.

    ``spawn`` rather than ``fork``: the parent may be running threads (the progress display,
    the preview server), and a forked child would inherit their locks.
    """
    import multiprocessing

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up)


def _warm_up() -> None:
    import weasyprint  # noqa: F401 - the expensive import, paid once per worker


_ENVIRONMENTS: dict[tuple[str, ...], jinja2.Environment] = {}


def worker_environment(config: Config) -> jinja2.Environment:
    """One Jinja environment per template search path for the worker's life (compiled templates kept)."""
    from briefgen.render.theme import template_dirs

    key = tuple(str(d) for d in template_dirs(config.templates_dir))
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = jinja_environment(config)
    return _ENVIRONMENTS[key]
