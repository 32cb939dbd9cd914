"""PDF/A-3 carries its facts: `briefgen extract` reads them back, and they build the same brief."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf

from briefgen import build, load_config
from briefgen.facts.archive import FACTS_NAME, FACTS_SCHEMA_VERSION
from tests.conftest import SEED, Built, make_workspace, run_cli

BRIEF = "india-russia-summit-2021-12"


def test_archival_pdf_round_trips_its_facts(tmp_path: Path) -> None:
    first = make_workspace(tmp_path / "first", SEED)
    build(config=load_config(first, overrides={"build.pdf_standard": "a-3b"}))
    archived = first / "output" / f"{BRIEF}.pdf"
    with pikepdf.open(archived) as pdf:
        assert b"pdfaid:part" in pdf.Root.Metadata.read_bytes() and pdf.pdf_version == "1.7"
        # WeasyPrint lists the one file spec twice in /AF (from the name tree and from the objects)
        (spec,) = {f.objgen: f for f in pdf.Root.AF}.values()
        assert str(spec.AFRelationship) == "/Source" and str(spec.UF) == FACTS_NAME
        assert pdf.Root.StructTreeRoot is not None  # archival and still tagged

    shown = run_cli("extract", str(archived), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    envelope = json.loads(shown.stdout)
    assert envelope["briefgen_facts"] == FACTS_SCHEMA_VERSION
    assert envelope["brief"]["brief"]["id"] == BRIEF

    second = tmp_path / "second"
    (second / "inputs").mkdir(parents=True)
    written = run_cli("extract", str(archived), "-o", "inputs/from-the-archive.yaml", cwd=second)
    assert written.returncode == 0, written.stderr
    build(config=load_config(second, overrides={"build.pdf_standard": "a-3b"}))
    for fmt in ("html", "pdf"):  # the same brief, to the byte
        assert (second / "output" / f"{BRIEF}.{fmt}").read_bytes() == (first / "output" / f"{BRIEF}.{fmt}").read_bytes()


def test_extract_refuses_what_carries_no_facts(built_examples: Built, tmp_path: Path) -> None:
    tagged = built_examples.path(BRIEF, "pdf")  # the default PDF/UA build embeds nothing
    for path, expected in (
        (tagged, "carries no briefgen facts (build it with --pdf-standard a-3b"),
        (built_examples.path(BRIEF, "html"), "not a readable PDF"),
    ):
        result = run_cli("extract", str(path), "-o", str(tmp_path / "out.yaml"), cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and expected in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "out.yaml").exists()
