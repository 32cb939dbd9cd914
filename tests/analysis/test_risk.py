"""The sanction-risk model: the seed's assessment factor by factor, what-ifs, a user's own model file."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from briefgen.analysis.estimative import SCALE, UnknownLikelihood, band_for_probability, parse_likelihood, terms_in
from briefgen.analysis.risk import DEFAULT_MODEL, assess, load_model, parse_overrides
from briefgen.errors import InputError
from briefgen.facts.load import load_brief

from ..conftest import SECOND, SEED, run_cli


@pytest.fixture(scope="module")
def seed_assessment():  # type: ignore[no-untyped-def]
    result = assess(load_brief(SEED).brief, load_model())
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("factor", "value", "contribution", "counted", "evidence"),
    [
        ("counterparty_listed", "yes", 1.5, 1.5, 1),
        ("transaction_significance", "major", 1.5, 0.0, 1),  # the same purchase: counted once
        ("delivery_status", "delivering", 1.0, 0.0, 1),
        ("precedents", "2", 0.75, 0.75, 2),  # China discretionary 0.5 + Turkey mandated 0.25
        ("waiver", "strained", -0.5, -0.5, 2),
        ("strategic_weight", "high", -2.0, -2.0, 2),
        ("legislative_signals", "favouring-waiver", -0.5, -0.5, 1),
        ("precedent_measures", "5", 2.0, 2.0, 2),
        ("defence_ties", None, 0.0, 0.0, 0),
    ],
)
def test_seed_factor_by_factor(
    seed_assessment, factor: str, value: str | None, contribution: float, counted: float, evidence: int
) -> None:  # type: ignore[no-untyped-def]
    result = seed_assessment.factor(factor)
    assert (result.value, result.contribution, result.counted, len(result.evidence)) == (
        value,
        contribution,
        counted,
        evidence,
    )
    assert all(e.statement.sources for e in result.evidence)  # every piece of evidence is a sourced fact


def test_seed_overall(seed_assessment) -> None:  # type: ignore[no-untyped-def]
    # -1.5 (first sanctions) + 1.5 (the purchase, once) + 0.75 - 0.5 - 2.0 - 0.5 = -2.25
    assert seed_assessment.logit == pytest.approx(-2.25)
    assert seed_assessment.probability == pytest.approx(1 / (1 + math.exp(2.25)))
    assert (seed_assessment.band.term, seed_assessment.impact, seed_assessment.rating) == (
        "very unlikely",
        "high",
        "moderate",
    )
    assert seed_assessment.question == "first"


def test_sensitivity_names_the_changes_that_cross_a_band(seed_assessment) -> None:  # type: ignore[no-untyped-def]
    moves = {(s.factor, s.to): s.band.term for s in seed_assessment.band_changes}
    assert moves[("strategic_weight", "moderate")] == "unlikely"
    assert moves[("legislative_signals", "pressing-for-sanctions")] == "unlikely"
    assert moves[("waiver", "granted")] == "almost no chance"
    # A group member that is not the strongest moves nothing: the purchase is counted once.
    assert ("delivery_status", "contracted") not in moves
    stays = {(s.factor, s.to) for s in seed_assessment.sensitivity} - set(moves)
    assert ("precedents", "1") in stays and ("waiver", "none") in stays


def test_grouped_factors_count_once_and_origin_weighs_precedents() -> None:
    model = load_model()
    brief = load_brief(SEED).brief
    base = assess(brief, model)
    ungrouped = load_model_from(DEFAULT_MODEL.read_text().replace('group = "the_purchase"\n', ""), "ungrouped")
    flat = assess(brief, ungrouped)
    assert base is not None and flat is not None
    assert flat.logit - base.logit == pytest.approx(1.5 + 1.0)  # significance and delivery counted again
    unweighted = assess(brief, load_model_from(
        DEFAULT_MODEL.read_text().replace("origin_weights = { discretionary = 1.0, mandated = 0.5 }\n", ""), "flat"
    ))  # fmt: skip
    assert unweighted is not None and unweighted.factor("precedents").contribution == pytest.approx(1.0)


def load_model_from(text: str, name: str):  # type: ignore[no-untyped-def]
    import tempfile

    path = Path(tempfile.mkdtemp()) / f"{name}.toml"
    path.write_text(text)
    return load_model(path)


def test_granted_waiver_moves_the_rating_the_documented_way() -> None:
    brief = load_brief(SEED).brief
    what_if = assess(brief, load_model(), {"waiver": "granted"})
    assert what_if is not None
    # -2.25 - (-0.5) + (-4.0) = -5.75 log-odds → 0.3 % → "almost no chance"; high impact → "low".
    assert what_if.logit == pytest.approx(-5.75)
    assert (what_if.band.term, what_if.rating) == ("almost no chance", "low")
    assert what_if.factor("waiver").overridden


def test_what_if_rejects_unknown_factors_and_levels() -> None:
    brief = load_brief(SEED).brief
    with pytest.raises(InputError, match="no such factor"):
        assess(brief, load_model(), {"vibes": "good"})
    with pytest.raises(InputError, match="no level 'maybe'; expected one of none, strained, available, granted"):
        assess(brief, load_model(), {"waiver": "maybe"})
    with pytest.raises(InputError, match="expected a count"):
        assess(brief, load_model(), {"precedents": "many"})
    with pytest.raises(InputError, match="FACTOR=VALUE"):
        parse_overrides(["waiver"])


FURTHER = """\
brief: {id: further, title: Further sanctions, date: 2021-03-01, author: Desk}
sources:
  - {id: s1, publisher: Gazette, title: Report, published: 2021-02-01, reliability: B}
sanction_risk:
  regime: Act 1
  question: further
  authority: State X
  legal_basis: The act.
  target: A buyer already sanctioned
  sources: [s1]
"""


def test_the_further_sanctions_question_has_its_own_baseline(tmp_path: Path) -> None:
    path = tmp_path / "further.yaml"
    path.write_text(FURTHER)
    model = load_model()
    further = assess(load_brief(path).brief, model)
    (tmp_path / "first.yaml").write_text(FURTHER.replace("question: further", "question: first"))
    first = assess(load_brief(tmp_path / "first.yaml").brief, model)
    assert further is not None and first is not None
    assert further.baseline == model.likelihood.questions["further"].baseline != first.baseline
    assert further.question_problem is None
    only_first = load_model_from(
        DEFAULT_MODEL.read_text().split("[likelihood.questions.further]")[0]
        + "[likelihood.groups"
        + DEFAULT_MODEL.read_text().split("[likelihood.groups", 1)[1],
        "only-first",
    )
    problem = assess(load_brief(path).brief, only_first)
    assert problem is not None and "no baseline for the question 'further'" in (problem.question_problem or "")


def test_a_brief_without_sanction_risk_has_no_assessment() -> None:
    assert assess(load_brief(SECOND).brief, load_model()) is None


def test_changing_one_weight_in_a_workspace_model_moves_the_rating(tmp_path: Path) -> None:
    text = DEFAULT_MODEL.read_text().replace(
        "levels = { low = 0.0, moderate = -0.75, high = -2.0 }", "levels = { low = 0.0, moderate = -0.75, high = 0.0 }"
    )
    assert text != DEFAULT_MODEL.read_text()
    (tmp_path / "model.toml").write_text(text)
    (tmp_path / "briefgen.toml").write_text('[assess]\nmodel = "model.toml"\n')
    result = run_cli("assess", str(SEED), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # strategic weight no longer lowers the odds: -2.25 + 2.0 = -0.25 → 44 % → "unlikely".
    assert data["assessment"]["likelihood"] == "unlikely"
    assert data["assessment"]["rating"] == "moderate"
    assert data["factors"]["strategic_weight"]["contribution"] == 0.0


def test_assess_cli_what_if(tmp_path: Path) -> None:
    result = run_cli("assess", str(SEED), "--set", "waiver=granted", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "likelihood very unlikely (band 5–20%" in result.stdout
    assert "strategic_weight high → moderate: +1.25 → unlikely" in result.stdout
    assert "what-if (waiver=granted): likelihood almost no chance" in " ".join(result.stdout.split())
    bad = run_cli("assess", str(SEED), "--set", "nonsense=1", cwd=tmp_path)
    assert bad.returncode == 2 and "no such factor" in bad.stderr
    bogus = run_cli("assess", str(SEED), "--set", "waiver=bogus", cwd=tmp_path)
    assert bogus.returncode == 2 and "expected one of none, strained, available, granted" in bogus.stderr
    assert "Traceback" not in bogus.stderr


def test_invalid_model_file_names_file_line_and_option(tmp_path: Path) -> None:
    bad = DEFAULT_MODEL.read_text().replace("baseline = -1.5", 'baseline = "low"', 1)
    (tmp_path / "model.toml").write_text(bad)
    with pytest.raises(InputError) as info:
        load_model(tmp_path / "model.toml")
    (problem,) = info.value.problems
    assert problem.field == "likelihood.baseline"
    assert problem.line == bad.splitlines().index('baseline = "low"') + 1


# --------------------------------------------------------------------------- the scale


@pytest.mark.parametrize(
    ("value", "term", "row"),
    [
        ("likely", "likely", "term"),
        ("Highly Probable", "very likely", "alternative"),
        (0.7, "likely", None),
        ("70%", "likely", None),
        (0.55, "likely", None),
        (0.5, "roughly even chance", None),
        (0.01, "almost no chance", None),
        (1, "almost certain", None),
    ],
)
def test_parse_likelihood(value: str | float, term: str, row: str | None) -> None:
    parsed = parse_likelihood(value)
    assert (parsed.band.term, parsed.row) == (term, row)


def test_parse_likelihood_rejects_off_scale() -> None:
    for value in ("plausible", "150%", 1.5, -0.1):
        with pytest.raises(UnknownLikelihood):
            parse_likelihood(value)


def test_scale_is_contiguous_and_terms_are_found_longest_first() -> None:
    assert [b.index for b in SCALE] == list(range(7))
    assert all(a.high == b.low for a, b in itertools.pairwise(SCALE))
    assert band_for_probability(0.2).term == "unlikely"
    assert [b.term for b, _ in terms_in("It is very unlikely, not merely unlikely.")] == ["very unlikely", "unlikely"]
