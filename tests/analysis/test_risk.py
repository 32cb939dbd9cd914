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
    ("factor", "value", "contribution", "evidence"),
    [
        ("counterparty_listed", "yes", 1.5, 2),
        ("transaction_significance", "major", 1.5, 1),
        ("delivery_status", "delivering", 1.0, 1),
        ("precedents", "2", 1.0, 2),
        ("waiver", "available", -1.0, 1),
        ("strategic_weight", "high", -2.0, 2),
        ("legislative_signals", None, 0.0, 0),
        ("precedent_measures", "5", 2.0, 1),
        ("defence_ties", None, 0.0, 0),
    ],
)
def test_seed_factor_by_factor(
    seed_assessment, factor: str, value: str | None, contribution: float, evidence: int
) -> None:  # type: ignore[no-untyped-def]
    result = seed_assessment.factor(factor)
    assert (result.value, result.contribution, len(result.evidence)) == (value, contribution, evidence)
    assert all(e.statement.sources for e in result.evidence)  # every piece of evidence is a sourced fact


def test_seed_overall(seed_assessment) -> None:  # type: ignore[no-untyped-def]
    assert seed_assessment.logit == pytest.approx(-0.5)
    assert seed_assessment.probability == pytest.approx(1 / (1 + math.exp(0.5)))
    assert (seed_assessment.band.term, seed_assessment.impact, seed_assessment.rating) == (
        "unlikely",
        "high",
        "moderate",
    )


def test_granted_waiver_moves_the_rating_the_documented_way() -> None:
    brief = load_brief(SEED).brief
    what_if = assess(brief, load_model(), {"waiver": "granted"})
    assert what_if is not None
    # -0.5 - (-1.0) + (-4.0) = -3.5 log-odds → 2.9 % → "almost no chance"; high impact → "low".
    assert what_if.logit == pytest.approx(-3.5)
    assert (what_if.band.term, what_if.rating) == ("almost no chance", "low")
    assert what_if.factor("waiver").overridden


def test_what_if_rejects_unknown_factors_and_levels() -> None:
    brief = load_brief(SEED).brief
    with pytest.raises(InputError, match="no such factor"):
        assess(brief, load_model(), {"vibes": "good"})
    odd = assess(brief, load_model(), {"waiver": "maybe"})
    assert odd is not None and "unknown level 'maybe'" in (odd.factor("waiver").problem or "")
    with pytest.raises(InputError, match="FACTOR=VALUE"):
        parse_overrides(["waiver"])


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
    # strategic weight no longer lowers the odds: -0.5 + 2.0 = +1.5 → 82 % → "very likely".
    assert data["assessment"]["likelihood"] == "very likely"
    assert data["assessment"]["rating"] == "critical"
    assert data["factors"]["strategic_weight"]["contribution"] == 0.0


def test_assess_cli_what_if(tmp_path: Path) -> None:
    result = run_cli("assess", str(SEED), "--set", "waiver=granted", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "likelihood unlikely (38%" in result.stdout
    assert "what-if (waiver=granted): likelihood almost no chance" in " ".join(result.stdout.split())
    bad = run_cli("assess", str(SEED), "--set", "nonsense=1", cwd=tmp_path)
    assert bad.returncode == 2 and "no such factor" in bad.stderr


def test_invalid_model_file_names_file_line_and_option(tmp_path: Path) -> None:
    bad = DEFAULT_MODEL.read_text().replace("baseline = -2.5", 'baseline = "low"')
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
