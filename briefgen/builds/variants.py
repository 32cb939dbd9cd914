"""Building a brief's variant for one audience: ``output/variants/<level>/<id>.html|pdf``.

The variant is rendered from the filtered brief (never by hiding parts of the full one in a
template), so nothing withheld reaches its HTML, PDF text or metadata. Cached like any output:
a fingerprint of the variant's facts and the theme sits beside the files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.builds.write import write_outputs
from briefgen.config import Config, Format

if TYPE_CHECKING:
    from briefgen.facts.schema import Brief

__all__ = ["build_variant", "variant_dir"]


def variant_dir(config: Config, level: str) -> Path:
    return config.output_dir / "variants" / level


def build_variant(brief: Brief, level: str, config: Config, formats: Sequence[Format]) -> dict[str, Path]:
    """The variant's files, built unless a build of the same facts and theme is on disk."""
    from briefgen.builds.briefs import risk_model, theme_key
    from briefgen.builds.workers import layout_pdf, worker_environment

    folder = variant_dir(config, level)
    wanted = sorted({*config.build.formats, *formats})
    stamp = folder / f"{brief.brief.id}.key"
    key = hashlib.sha256(f"{brief.model_dump_json()}\0{theme_key(config, wanted)}".encode()).hexdigest()
    paths = {fmt: folder / f"{brief.brief.id}.{fmt}" for fmt in wanted}
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == key and all(p.is_file() for p in paths.values()):
        return {fmt: paths[fmt] for fmt in formats}

    from briefgen.analysis.risk import assess
    from briefgen.render.brief import render_html

    assessment = assess(brief, risk_model(config.risk_model_path)) if brief.sanction_risk is not None else None
    html = render_html(brief, worker_environment(config), page_size=config.build.page_size, assessment=assessment)
    pdf_bytes, pages = None, None
    if "pdf" in wanted:
        rendered = layout_pdf(html, config, brief.brief.date)
        pdf_bytes, pages = rendered.data, rendered.pages
    write_outputs(folder, brief.brief.id, wanted, html, pdf_bytes, pages, extra=[(stamp, key)])
    return {fmt: paths[fmt] for fmt in formats}
