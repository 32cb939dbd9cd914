"""Each lint rule has a failing and a passing case; the seed passes `lint --strict`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from briefgen.analysis.findings import RULES, Finding, fails
from briefgen.analysis.lint import lint_brief
from briefgen.analysis.risk import load_model
from briefgen.facts.load import load_brief

from ..conftest import SECOND, SEED, run_cli

BASE = textwrap.dedent(
    """\
    brief:
      id: lint-case
      title: Lint case
      date: 2030-06-01
      author: Desk
    sources:
      - id: s1
        publisher: Wire
        title: Report one
        published: 2030-05-01
        accessed: 2030-05-02
        reliability: B
      - id: s2
        publisher: Gazette
        title: Report two
        published: 2030-05-03
        accessed: 2030-05-04
        reliability: C
    key_judgments:
      - text: The ministers will sign the accord before the end of the year.
        likelihood: likely
        confidence: moderate
        by: 2030-12-31
        sources: [s1, s2]
    agreements:
      - title: Harbour accord
        kind: treaty
        parties: [A, B]
        status: signed
        term: {start: 2030, end: 2040}
        sources: [s2]
    """
)


def lint_text(tmp_path: Path, text: str) -> list[Finding]:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return lint_brief(load_brief(path), load_model())


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def test_base_case_is_clean(tmp_path: Path) -> None:
    assert lint_text(tmp_path, BASE) == []


@pytest.mark.parametrize(
    ("rule", "old", "new"),
    [
        ("unsourced", "    sources: [s2]\n", "    sources: []\n"),
        ("no-estimate", "    confidence: moderate\n", ""),
        ("no-estimate", "    likelihood: likely\n", ""),
        ("hedge-word", "will sign the accord", "could sign the accord"),
        ("hedge-word", "will sign the accord", "may possibly sign the accord"),
        ("unknown-likelihood", "likelihood: likely", "likelihood: quite plausible"),
        ("unknown-likelihood", "likelihood: likely", "likelihood: 1.7"),
        ("mixed-rows", "likelihood: likely", "likelihood: probable"),
        ("confidence-sentence", "the end of the year.", "the end of the year; we are confident this is likely."),
        ("date-order", "term: {start: 2030, end: 2040}", "term: {start: 2040, end: 2030}"),
        ("date-order", "accessed: 2030-05-04", "accessed: 2030-05-01"),
        ("date-order", "published: 2030-05-03", "published: 2031-01-01"),
        ("uncited-source", "key_judgments:\n", "  - {id: s3, publisher: X, title: Y, reliability: A}\nkey_judgments:\n"),  # noqa: E501
        ("ungraded-source", "    reliability: B\n", ""),
        ("single-source", "sources: [s1, s2]", "sources: [s1]"),
        ("low-grade-sources", "reliability: B", "reliability: D"),
        ("after-cutoff", "  date: 2030-06-01\n", "  date: 2030-06-01\n  as_of: 2030-05-02\n"),
        ("after-cutoff", "accessed: 2030-05-04", "accessed: 2030-06-02"),
        ("no-horizon", "    by: 2030-12-31\n", ""),
    ],
)  # fmt: skip
def test_rule_fires_on_its_failing_case(tmp_path: Path, rule: str, old: str, new: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    if rule == "low-grade-sources":
        text = text.replace("reliability: C", "reliability: E")
    if rule == "mixed-rows":  # a second judgment in the other row
        text += ""
        text = text.replace(
            "agreements:",
            "  - text: Trade grows.\n    likelihood: unlikely\n    confidence: low\n    by: 2031\n"
            "    sources: [s1, s2]\nagreements:",
        )
    found = lint_text(tmp_path, text)
    assert rule in rules(found), [str(f) for f in found]
    finding = next(f for f in found if f.rule == rule)
    assert finding.line > 0 and str(finding).startswith(f"{tmp_path / 'case.yaml'}:{finding.line}: {rule}: ")


def test_hedge_word_ignores_the_month_of_may(tmp_path: Path) -> None:
    text = BASE.replace("before the end of the year", "in May 2031")
    assert "hedge-word" not in rules(lint_text(tmp_path, text))


def test_precedent_after_the_brief_date(tmp_path: Path) -> None:
    risk = textwrap.dedent(
        """\
        sanction_risk:
          regime: Act 1
          authority: State X
          legal_basis: The act.
          target: Buyer
          precedents:
            - {date: 2031-01-01, target: Someone, measures: [visa ban], sources: [s1]}
          sources: [s1]
        """
    )
    found = lint_text(tmp_path, BASE + risk)
    assert any(f.rule == "date-order" and "precedent" in f.message for f in found)
    ok = lint_text(tmp_path, BASE + risk.replace("2031-01-01", "2029-01-01"))
    assert not any(f.rule == "date-order" for f in ok)


def test_unrecorded_disagreement_between_two_entries(tmp_path: Path) -> None:
    duplicate = (
        "  - title: Harbour accord\n    kind: treaty\n    parties: [A, B]\n    status: signed\n"
        "    term: {start: 2030, end: 2041}\n    sources: [s1]\n"
    )
    found = lint_text(tmp_path, BASE + duplicate)
    (finding,) = [f for f in found if f.rule == "sources-differ"]
    assert "term.end is 2040 per s2 but 2041 per s1" in finding.message
    assert finding.severity == "warning"


def test_recorded_disagreement_is_a_note_not_a_failure(tmp_path: Path) -> None:
    text = BASE.replace(
        "    sources: [s2]\n",
        "    sources: [s2]\n    variants:\n      - {field: term.end, value: '2041', sources: [s1]}\n",
    )
    found = lint_text(tmp_path, text)
    assert rules(found) == {"sources-differ-shown"}
    assert "term.end: 2040 kept, 2041 per s1" in found[0].message
    assert not fails(found, strict=True)


def test_model_disagreement_and_bad_evidence(tmp_path: Path) -> None:
    risk = textwrap.dedent(
        """\
        sanction_risk:
          regime: Act 1
          authority: State X
          legal_basis: The act.
          target: Buyer
          exposure:
            - name: Big deal
              direction: raises
              evidence: Large.
              factor: transaction_significance
              value: major
              sources: [s1]
          assessment: {likelihood: almost certain, impact: low, confidence: low, sources: [s1]}
          sources: [s1]
        """
    )
    found = lint_text(tmp_path, BASE + risk)
    messages = {f.rule: f.message for f in found}
    assert "model-disagrees" in messages and "'almost certain'" in messages["model-disagrees"]
    close = lint_text(tmp_path, BASE + risk.replace("almost certain", "very unlikely"))
    assert "model-disagrees" not in rules(close)
    bad = lint_text(tmp_path, BASE + risk.replace("value: major", "value: colossal"))
    assert any(f.rule == "model-evidence" and "colossal" in f.message for f in bad)
    unknown = lint_text(tmp_path, BASE + risk.replace("factor: transaction_significance", "factor: vibes"))
    assert any(f.rule == "model-evidence" and "'vibes'" in f.message for f in unknown)


def test_every_rule_is_documented() -> None:
    assert all(severity in {"error", "warning", "info"} and text for severity, text in RULES.values())


def test_seed_and_second_example_pass_lint_strict(tmp_path: Path) -> None:
    result = run_cli("lint", "--strict", str(SEED), str(SECOND), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0 error(s), 0 warning(s)" in result.stdout
    assert "sources-differ-shown" in result.stderr and "2031 kept, 2030 per" in result.stderr


def test_lint_cli_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "case.yaml").write_text(BASE.replace("will sign", "might sign"))
    result = run_cli("lint", cwd=tmp_path)
    assert result.returncode == 0 and "hedge-word" in result.stderr
    strict = run_cli("lint", "--strict", cwd=tmp_path)
    assert strict.returncode == 2 and "inputs/case.yaml:20: hedge-word:" in strict.stderr
    (tmp_path / "inputs" / "case.yaml").write_text(BASE.replace("likelihood: likely", "likelihood: plausible"))
    assert run_cli("lint", cwd=tmp_path).returncode == 2  # an error fails without --strict


def test_build_strict_refuses_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "case.yaml").write_text(BASE.replace("will sign", "might sign"))
    result = run_cli("build", "--strict", "-f", "html", cwd=tmp_path)
    assert result.returncode == 2 and "hedge-word" in result.stderr
    assert not (tmp_path / "output").exists()
    relaxed = run_cli("build", "-f", "html", "-q", cwd=tmp_path)
    assert relaxed.returncode == 0 and "hedge-word" in relaxed.stderr


def test_relayed_only_flags_reporting_of_reporting(tmp_path: Path) -> None:
    relayed = BASE.replace("    reliability: B\n", "    reliability: B\n    relays: Other Wire\n").replace(
        "    reliability: C\n", "    reliability: C\n    relays: Other Wire\n"
    )
    found = lint_text(tmp_path, relayed)
    (finding,) = [f for f in found if f.rule == "relayed-only"]
    assert "s1 relays Other Wire" in finding.message
    one_primary = relayed.replace("    relays: Other Wire\n", "    kind: official-statement\n", 1)
    assert "relayed-only" not in rules(lint_text(tmp_path, one_primary))


SCENARIOS = """\
scenarios:
  question: Will the accord be ratified by the end of 2030?
  by: 2030-12-31
  outcomes:
    - {id: ratified, title: Ratified, text: Both parliaments vote., likelihood: likely, indicators: [A vote is set], sources: [s1]}
    - {id: rejected, title: Rejected, text: A vote fails., likelihood: very unlikely, indicators: [A coalition splits], sources: [s1]}
    - {id: stall, title: No vote, text: Nothing happens., likelihood: very unlikely, sources: [s1]}
outlook:
  - {text: Watch the parliamentary calendar., scenarios: [ratified, stall], sources: [s2]}
"""  # noqa: E501


def test_scenarios_coherent_and_linked(tmp_path: Path) -> None:
    assert lint_text(tmp_path, BASE + SCENARIOS) == []
    too_much = lint_text(tmp_path, BASE + SCENARIOS.replace("likelihood: very unlikely", "likelihood: likely"))
    assert any(f.rule == "scenarios-incoherent" and "sum to 165%–240%" in f.message for f in too_much)
    too_little = lint_text(tmp_path, BASE + SCENARIOS.replace("likelihood: likely", "likelihood: unlikely"))
    assert any(f.rule == "scenarios-incoherent" and "30%–85%" in f.message for f in too_little)
    unwatched = lint_text(tmp_path, BASE + SCENARIOS.replace("scenarios: [ratified, stall]", "scenarios: [ratified]"))
    assert [f.message for f in unwatched if f.rule == "scenario-indicators"] == [
        "scenario 'stall' has no indicator that would show it unfolding"
    ]
    dangling = lint_text(
        tmp_path, BASE + SCENARIOS.replace("scenarios: [ratified, stall]", "scenarios: [ratified, stal]")
    )
    assert any(f.rule == "unknown-scenario" and f.severity == "error" for f in dangling)
    off_scale = lint_text(tmp_path, BASE + SCENARIOS.replace("likelihood: likely", "likelihood: probably likely"))
    assert "unknown-likelihood" in rules(off_scale)


def test_hedge_word_is_reported_on_its_own_line(tmp_path: Path) -> None:
    text = BASE.replace(
        "  - text: The ministers will sign the accord before the end of the year.\n",
        "  - text: >-\n      The ministers will sign the accord\n      and it might pass\n"
        "      before the end of the year.\n",
    )
    (finding,) = [f for f in lint_text(tmp_path, text) if f.rule == "hedge-word"]
    assert text.splitlines()[finding.line - 1].strip() == "and it might pass"


def test_stated_disagreement_with_the_model_is_a_note(tmp_path: Path) -> None:
    risk = textwrap.dedent(
        """\
        sanction_risk:
          regime: Act 1
          authority: State X
          legal_basis: The act.
          target: Buyer
          assessment:
            likelihood: almost certain
            impact: low
            confidence: low
            by: 2031-06-30
            model_disagreement: The model cannot see the minister's private assurances.
            sources: [s1]
          sources: [s1]
        """
    )
    found = lint_text(tmp_path, BASE + risk)
    assert "model-disagreement-stated" in rules(found) and "model-disagrees" not in rules(found)
    assert not fails(found, strict=True)
    silent = lint_text(tmp_path, BASE + risk.replace("    model_disagreement: The model", "    # The model"))
    assert "model-disagrees" in rules(silent) and fails(silent, strict=True)
    unbounded = lint_text(tmp_path, BASE + risk.replace("    by: 2031-06-30\n", ""))
    assert "no-horizon" in rules(unbounded)


def test_conflicts_between_briefs_are_found_without_variants(tmp_path: Path) -> None:
    from briefgen.analysis.lint import lint_briefs

    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(BASE.replace("id: lint-case", "id: other").replace("end: 2040", "end: 2045"))
    loaded = [load_brief(tmp_path / "a.yaml"), load_brief(tmp_path / "b.yaml")]
    found = lint_briefs(loaded, load_model())
    (finding,) = found[tmp_path / "b.yaml"]
    assert finding.rule == "sources-differ" and "term.end is 2045 here (per s2) but 2040 in" in finding.message
    assert found[tmp_path / "a.yaml"] == []
    (tmp_path / "b.yaml").write_text(
        BASE.replace("id: lint-case", "id: other").replace(
            "    sources: [s2]\n",
            "    sources: [s2]\n    variants:\n      - {field: term.end, value: '2045', sources: [s1]}\n",
        )
    )
    recorded = lint_briefs([load_brief(tmp_path / "a.yaml"), load_brief(tmp_path / "b.yaml")], load_model())
    assert "sources-differ" not in rules(recorded[tmp_path / "b.yaml"])


def test_error_findings_fail_validate_and_build_without_strict(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "case.yaml").write_text(BASE.replace("likelihood: likely", "likelihood: probably likely"))
    for command in (["validate"], ["build", "-f", "html"]):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "unknown-likelihood" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists()
    (tmp_path / "inputs" / "case.yaml").write_text(BASE.replace("    by: 2030-12-31\n", ""))  # a warning only
    assert run_cli("validate", cwd=tmp_path).returncode == 0


def test_the_further_sanctions_question_passes_strict_and_needs_a_model_that_answers_it(tmp_path: Path) -> None:
    further = BASE + textwrap.dedent(
        """\
        sanction_risk:
          regime: Act 1
          question: further
          authority: State X
          legal_basis: The act.
          target: A buyer sanctioned in 2029
          assessment: {likelihood: unlikely, impact: moderate, confidence: low, by: 2030-12-31, sources: [s1, s2]}
          sources: [s1]
        """
    )
    path = tmp_path / "case.yaml"
    path.write_text(further)
    assert not fails(lint_brief(load_brief(path), load_model()), strict=True)
    text = (Path(__file__).parents[2] / "briefgen/analysis/models/secondary-sanctions.toml").read_text()
    head, tail = text.split("[likelihood.questions.further]")
    (tmp_path / "first-only.toml").write_text(head + "[likelihood.groups" + tail.split("[likelihood.groups", 1)[1])
    found = lint_brief(load_brief(path), load_model(tmp_path / "first-only.toml"))
    (finding,) = [f for f in found if f.rule == "model-evidence"]
    assert "no baseline for the question 'further'" in finding.message and finding.severity == "error"
    assert further.splitlines()[finding.line - 1].strip() == "question: further"


EVIDENCE = BASE.replace(
    "    sources: [s2]\n",
    "    sources: [s2]\n"
    "    evidence:\n"
    "      - {source: s2, quote: \"the accord 'runs to 2040' - both sides said\", locator: para. 2}\n",
)


def lint_with_texts(tmp_path: Path, text: str, source_text: str | None) -> list[Finding]:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    if source_text is not None:
        (tmp_path / "library" / "texts").mkdir(parents=True, exist_ok=True)
        (tmp_path / "library" / "texts" / "s2.txt").write_text(source_text, encoding="utf-8")
    return lint_brief(load_brief(path), load_model(), tmp_path)


def test_an_evidence_quote_is_found_despite_curly_quotes_dashes_and_line_breaks(tmp_path: Path) -> None:
    source = "Officials said the accord \u2018runs to\n2040\u2019 \u2014 both  sides said so on Friday."
    assert lint_with_texts(tmp_path, EVIDENCE, source) == []


def test_an_evidence_quote_the_source_does_not_contain_is_an_error_at_its_line(tmp_path: Path) -> None:
    source = "Officials said the accord runs to 2045, both sides said."
    (finding,) = lint_with_texts(tmp_path, EVIDENCE, source)
    assert finding.rule == "evidence-mismatch" and finding.severity == "error"
    assert "is not in the text of 's2' at para. 2" in finding.message
    assert "quote:" in EVIDENCE.splitlines()[finding.line - 1]


def test_evidence_is_unchecked_without_the_text_but_its_source_must_exist(tmp_path: Path) -> None:
    assert lint_with_texts(tmp_path, EVIDENCE, None) == []
    (finding,) = lint_with_texts(tmp_path, EVIDENCE.replace("{source: s2,", "{source: s1x,"), None)
    assert finding.rule == "evidence-mismatch" and "unknown source 's1x'" in finding.message


def test_an_evidence_quote_is_a_few_words_not_a_passage(tmp_path: Path) -> None:
    from briefgen.errors import InputError

    path = tmp_path / "case.yaml"
    path.write_text(EVIDENCE.replace("the accord 'runs to 2040' - both sides said", " ".join(["word"] * 40)))
    with pytest.raises(InputError, match=r"case.yaml:\d+:\d+: agreements\[0\].evidence\[0\].quote: a quote is a few"):
        load_brief(path)


def test_a_drafts_unresolved_date_is_listed_with_its_readings(tmp_path: Path) -> None:
    text = BASE.replace("  author: Desk\n", "  author: Desk\n  draft: true\n") + (
        "candidates:\n"
        "  - {kind: date, text: 03/04/2030, belongs: event, sentence: 2, paragraph: 1, start: 9, end: 19,\n"
        "     value: {date: null, precision: day, readings: [2030-03-04, 2030-04-03]}}\n"
    )
    messages = [f.message for f in lint_text(tmp_path, text) if f.rule == "to-confirm"]
    assert messages[0].startswith("a draft with 1 candidate(s) to confirm")
    assert messages[1] == "date '03/04/2030' = ? (2030-03-04 or 2030-04-03) → event (sentence 2)"


def test_a_library_entry_no_brief_uses_is_a_note(tmp_path: Path) -> None:
    from briefgen.builds.briefs import lint_library_usage
    from briefgen.config import load_config

    from ..conftest import SEED, make_workspace

    workspace = make_workspace(tmp_path, SEED)  # the seed alone leaves the Turkey-only entries unused
    before = {f.message for f in lint_library_usage(load_config(workspace))}
    extra = workspace / "library" / "extra.yaml"
    extra.write_text("actors:\n  - {id: nobody, name: No One, kind: person}\n", encoding="utf-8")
    (note,) = [f for f in lint_library_usage(load_config(workspace)) if f.message not in before]
    assert note.severity == "info" and note.line == 2 and note.file.endswith("extra.yaml")
    assert note.message == "actors entry 'nobody' is used by no brief"
