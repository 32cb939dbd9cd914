"""A draft is built only when asked for, and then every page of its PDF says DRAFT."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen.builds.briefs import build
from briefgen.config import load_config
from briefgen.errors import InputError

from ..conftest import SEED, copy_library


def test_a_draft_is_refused_then_built_with_draft_on_every_page(tmp_path: Path) -> None:
    copy_library(tmp_path)  # the seed draws on the shipped fact library
    (tmp_path / "drafts").mkdir()
    draft = tmp_path / "drafts" / "seed-draft.yaml"
    text = SEED.read_text(encoding="utf-8")
    assert "\n  author: " in text
    draft.write_text(text.replace("\n  author: ", "\n  draft: true\n  author: ", 1), encoding="utf-8")
    config = load_config(tmp_path)
    with pytest.raises(InputError, match=r"seed-draft.yaml:\d+:\d+: brief.draft: this is a draft"):
        build([draft], config, formats=["pdf"])
    assert not (tmp_path / "output").exists()
    report = build([draft], config, formats=["pdf"], drafts=True)
    (result,) = report.results
    pages = PdfReader(result.output("pdf").path).pages  # type: ignore[union-attr]
    assert len(pages) > 2
    assert all("DRAFT" in page.extract_text() for page in pages)
    # Built once as a draft, it is not passed off as up to date when drafts are not asked for.
    with pytest.raises(InputError, match="this is a draft"):
        build([draft], config, formats=["pdf"])
