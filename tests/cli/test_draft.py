"""`briefgen draft` as a user runs it: from an article to a draft that validates, lints and builds only as a draft."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ..conftest import make_workspace, run_cli

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"

KNOWN = """\
brief: {id: varna-watch, title: Varna watch, date: 2026-03-01, author: Desk}
sources:
  - {id: gazette, publisher: Harbour Gazette, title: Varna navy, published: 2026-02-01}
event:
  kind: meeting
  title: Port Lyra talks
  date: 2026-02-01
  place: {city: Port Lyra}
  participants:
    - {name: Mara Velez, role: envoy, affiliation: Republic of Varna}
  sources: [gazette]
sanction_risk:
  regime: International Emergency Economic Powers Act (IEEPA)
  authority: Treasury Department
  legal_basis: Executive order under IEEPA.
  target: Kestrel Maritime
  sources: [gazette]
"""

LIBRARY = """\
actors:
  - {id: kestrel, name: Kestrel Maritime (Port Lyra), kind: organisation, country: Port Lyra, aliases: [Kestrel]}
  - {id: varna-navy, name: Navy of the Republic of Varna, kind: organisation, aliases: [Varna navy]}
authorities:
  - id: ieepa
    title: IEEPA
    instrument: International Emergency Economic Powers Act (50 U.S.C. 1701)
    imposed_by: United States
    legal_basis: Lets the President block property in an emergency.
"""


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = make_workspace(tmp_path_factory.mktemp("draft"))
    (root / "inputs" / "varna.yaml").write_text(KNOWN, encoding="utf-8")
    (root / "library").mkdir()
    (root / "library" / "facts.yaml").write_text(LIBRARY, encoding="utf-8")
    shutil.copy(ARTICLES / "sanctions.txt", root / "article.txt")
    result = run_cli("draft", "article.txt", "--publisher", "Harbour Gazette", cwd=root)
    return root, result


def test_draft_writes_a_valid_draft_and_keeps_the_text_in_the_workspace(drafted: tuple[Path, object]) -> None:
    root, result = drafted
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    draft = root / "drafts" / "harbour-gazette-2026-03-12.yaml"
    text = (root / "library" / "texts" / "harbour-gazette-2026-03-12.txt").read_text(encoding="utf-8")
    assert result.stdout.splitlines()[0].startswith(  # type: ignore[attr-defined]
        "drafts/harbour-gazette-2026-03-12.yaml: a draft with"
    )
    data = yaml.safe_load(draft.read_text(encoding="utf-8"))
    assert data["brief"]["draft"] is True
    source = data["sources"][0]
    assert (source["publisher"], source["published"]) == ("Harbour Gazette", "2026-03-12")
    assert source["title"].startswith("Treasury designates Kestrel Maritime")
    by_text = {c["text"]: c for c in data["candidates"]}
    assert by_text["10 April 2026"]["value"] == {"date": "2026-04-10", "precision": "day"}
    assert by_text["$96 million"]["value"] == {"amount": "96000000", "currency": "USD"}
    # Names the fact library knows are found by name or alias, with the library's ids ...
    assert by_text["Kestrel Maritime"]["kind"] == "actor"
    assert by_text["Kestrel Maritime"]["value"] == {"id": "kestrel", "mentions": 3}
    assert by_text["Varna navy"]["value"]["id"] == "varna-navy"
    # ... and so are names the inputs spell out inline.
    assert by_text["Treasury Department"]["kind"] == "authority"
    for candidate in data["candidates"]:
        found = " ".join(text[candidate["start"] : candidate["end"]].split())
        if candidate["kind"] == "sentence":  # the opening words of the sentence the offsets span
            assert found.startswith(candidate["text"].removesuffix(" …"))
            assert len(candidate["text"].split()) <= 13
        else:
            assert found == candidate["text"]
        assert candidate["evidence"]["quote"] in " ".join(text.split())
    assert run_cli("validate", "drafts/", cwd=root).returncode == 0


def test_lint_lists_what_is_to_confirm_and_checks_the_quotes(drafted: tuple[Path, object]) -> None:
    root, _ = drafted
    result = run_cli("lint", "drafts/", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "to-confirm: a draft with" in result.stderr
    assert "to-confirm: money '$96 million' = 96000000 USD → agreement (sentence 4)" in result.stderr
    assert "evidence-mismatch" not in result.stderr
    # A quote the source does not contain is an error at its line.
    draft = root / "drafts" / "harbour-gazette-2026-03-12.yaml"
    original = draft.read_text(encoding="utf-8")
    try:
        lines = original.splitlines(keepends=True)
        index = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("quote:") and "$96 million" in ln)
        lines[index] = lines[index].replace("$96 million", "$69 million")
        draft.write_text("".join(lines), encoding="utf-8")
        result = run_cli("lint", "drafts/", cwd=root)
        assert result.returncode == 2
        (line,) = [ln for ln in result.stderr.splitlines() if "evidence-mismatch" in ln]
        number = int(line.split(":")[1])
        assert "$69 million" in draft.read_text(encoding="utf-8").splitlines()[number - 1]
    finally:
        draft.write_text(original, encoding="utf-8")


def test_build_refuses_a_draft_unless_asked_and_then_marks_it(drafted: tuple[Path, object]) -> None:
    root, _ = drafted
    refused = run_cli("build", "drafts/", "-f", "html", cwd=root)
    assert refused.returncode == 2 and not (root / "output").exists()
    assert "drafts/harbour-gazette-2026-03-12.yaml:8:3: brief.draft: this is a draft" in refused.stderr
    built = run_cli("build", "drafts/", "--drafts", "-f", "html", "-q", cwd=root)
    assert built.returncode == 0, built.stderr
    html = (root / "output" / "draft-harbour-gazette-2026-03-12.html").read_text(encoding="utf-8")
    assert "draft-banner" in html and "DRAFT · UNCLASSIFIED" in html
    # Candidates are never rendered: none of the article's sentences reaches the output.
    assert "Port Lyra" not in html and "1.2 million barrels" not in html


def test_draft_does_not_overwrite_and_reports_bad_input_in_one_line(drafted: tuple[Path, object]) -> None:
    root, _ = drafted
    again = run_cli("draft", "article.txt", "--publisher", "Harbour Gazette", cwd=root)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr
    missing = run_cli("draft", "nope.txt", cwd=root)
    assert missing.returncode == 2 and "nope.txt: cannot read the article" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_help_lists_draft_without_importing_the_article_readers(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.argv = ['briefgen', '--help']\n"
        "from briefgen.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'trafilatura', 'yaml', 'briefgen.facts.extract', 'briefgen.facts.article'} & set(sys.modules)\n"
        "print('HEAVY', heavy) if heavy else print('LIGHT')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert "draft" in result.stdout and result.stdout.strip().endswith("LIGHT"), result.stdout


def test_a_new_workspace_keeps_article_texts_out_of_version_control(tmp_path: Path) -> None:
    import subprocess

    from briefgen.workspace.scaffold import new_workspace

    new_workspace(tmp_path / "desk")
    root = tmp_path / "desk"
    (root / "library" / "texts").mkdir(parents=True)
    (root / "library" / "texts" / "a.txt").write_text("the publisher's words", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    ignored = subprocess.run(["git", "check-ignore", "library/texts/a.txt"], cwd=root, capture_output=True, text=True)
    assert ignored.returncode == 0 and ignored.stdout.strip() == "library/texts/a.txt"
