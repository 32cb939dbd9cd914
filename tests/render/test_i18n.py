"""Briefs in the reader's language: the seed built in French and Korean, its labels, PDF and fonts."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from pypdf import PdfReader

from briefgen import build, i18n, load_config
from briefgen.facts.schema import Money, PartialDate
from briefgen.render.formatting import format_date, format_money
from tests.conftest import REPO, SEED, copy_library, parse_html, text_of
from tests.render.pdfua import check_pdf
from tests.render.test_cjk import _mapped

LANGUAGES = ("fr", "ko")
LOCALE = REPO / "briefgen" / "locale"

#: Labels a reader of each language must see (from the catalogs, checked against the output).
EXPECTED = {
    "fr": [
        "Jugements clés",
        "Probabilité estimée : probable (55–80 %).",  # text_of folds the narrow no-break space
        "Nous accordons une confiance modérée à ce jugement.",
        "Les sources divergent",
        "Annexe : langage d’estimation",
        "Évaluation du risque de sanctions",
        "Matrice des risques : probabilité × impact",
        "Confiance élevée",
    ],
    "ko": [
        "핵심 판단",
        "가능성 평가: 가능성 높음 (55–80%).",
        "이 판단의 신뢰도는 보통이다.",
        "출처 간 차이",
        "부록: 판단 표현 기준",
        "제재 위험 평가",
        "위험 매트릭스: 가능성 × 영향",
        "높은 신뢰도",
    ],
}


def seed_in(language: str, folder: Path) -> Path:
    """The seed with ``language: <language>`` and its own id (two languages build side by side)."""
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("\n  language: en\n", f"\n  language: {language}\n", 1)
    text = text.replace("\n  id: india-russia-summit-2021-12\n", f"\n  id: seed-{language}\n", 1)
    path = folder / "inputs" / f"seed-{language}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def translated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed in French and in Korean, HTML and PDF, built once; the output folder."""
    workspace = tmp_path_factory.mktemp("i18n")
    copy_library(workspace)
    for language in LANGUAGES:
        seed_in(language, workspace)
    build(config=load_config(workspace), formats=["html", "pdf"])
    return workspace / "output"


def catalog(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "briefgen.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[*_`]", "", text).split())


def without_facts(text: str) -> str:
    """``text`` with the analysts' words (the seed, the library, the risk model's data) cut out:
    facts stay as written, so only labels are left to check."""
    data = set(_strings(yaml.safe_load(SEED.read_text(encoding="utf-8"))))
    for path in (REPO / "library").glob("*.yaml"):
        data |= set(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    data |= set(_strings(tomllib.loads((REPO / "briefgen/analysis/models/secondary-sanctions.toml").read_text())))
    for value in sorted((_words(p) for s in data for p in s.splitlines()), key=len, reverse=True):
        if len(value) >= 3:
            text = text.replace(value, " ")
    return " ".join(text.split())


def english_left(text: str, language: str) -> list[str]:
    """Labels of several words still in English: for every msgid whose translation differs,
    each literal run of two or more words between its placeholders must be gone."""
    left = []
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue
            for run in re.split(r"%\(\w+\)[sd]|%%|<[^>]+>", msgid):
                run = run.strip(" .,:;()")
                if len(run.split()) >= 2 and re.search(r"(?<![\w-])" + re.escape(run) + r"(?![\w-])", text):
                    left.append(run)
    return left


#: Elements that hold only a label (never a fact): a single English word there is a missed label.
LABEL_ELEMENTS = ("th", "dt", "h2", "h3", "caption", "figcaption")


def single_word_labels(html: str) -> list[str]:
    tree = parse_html(html)
    found = [text_of(e) for tag in LABEL_ELEMENTS for e in tree.iter(tag)]
    found += [text_of(e) for e in tree.iter() if "label" in (e.get("class") or "").split()]
    return [t for t in found if t]


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_labels_are_translated_and_none_left_in_english(translated: Path, language: str) -> None:
    html = (translated / f"seed-{language}.html").read_text(encoding="utf-8")
    text = text_of(parse_html(html).find(".//body"))
    for label in EXPECTED[language]:
        assert label in text
    assert f'<html lang="{language}"' in html
    assert english_left(without_facts(text), language) == []
    english = {m.id for m in catalog(language) if isinstance(m.id, str) and m.id and m.id != m.string}
    assert [t for t in single_word_labels(html) if t in english] == []
    # Facts stay as the analysts wrote them.
    assert "21st India–Russia Annual Summit" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_pdf_text_is_translated_and_passes_the_pdfua_checker(translated: Path, language: str) -> None:
    path = translated / f"seed-{language}.pdf"
    reader = PdfReader(path)
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    pages = len(reader.pages)
    footer = {"fr": f"Page 1 sur {pages}", "ko": f"1 / {pages}쪽"}[language]
    assert footer in text  # the running footer, a CSS string, is in the language too
    for label in ("Jugements clés", "Annexe : langage d’estimation") if language == "fr" else ("핵심 판단", "출처"):
        assert label in text
    assert english_left(without_facts(text), language) == []
    report = check_pdf(path)
    assert report.failed == 0, report.failures
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == language


def test_korean_labels_are_real_text_in_an_embedded_korean_face(translated: Path) -> None:
    path = translated / "seed-ko.pdf"
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    labels = "핵심 판단 제재 위험 평가 이 판단의 신뢰도는 보통이다"
    assert all(word in text for word in labels.split())
    with pikepdf.open(path) as pdf:
        korean = [
            font
            for page in pdf.pages
            for font in page.Resources.Font.values()
            if "CJK" in str(font.BaseFont) and "KR" in str(font.BaseFont)
        ]
        assert korean, "no Korean face embedded"
        covered = set().union(*(_mapped(font) for font in korean))
    hangul = {c for c in labels if "\uac00" <= c <= "\ud7a3"}
    assert hangul <= covered  # drawn from the Korean face, and each glyph maps back to its syllable


def test_catalogs_are_complete() -> None:
    """Every msgid of the template has a translation in each language: none empty, none fuzzy,
    the same placeholders (a new label cannot silently stay English)."""
    with (LOCALE / "briefgen.pot").open("rb") as handle:
        template = read_po(handle)
    wanted = {m.id for m in template if m.id}
    for language in LANGUAGES:
        translated = {m.id: m for m in catalog(language) if m.id}
        assert wanted - set(translated) == set(), language
        for msgid in wanted:
            message = translated[msgid]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, (language, msgid)
            ids = msgid if isinstance(msgid, tuple) else (msgid,)
            holes = set(re.findall(r"%\(\w+\)[sd]|%%", ids[-1]))
            assert all(set(re.findall(r"%\(\w+\)[sd]|%%", s)) <= holes for s in strings), (language, msgid)
            assert all(holes - {"%(num)d"} <= set(re.findall(r"%\(\w+\)[sd]|%%", s)) for s in strings), msgid


def test_the_message_template_is_current(tmp_path: Path) -> None:
    """Extracting again (Babel's own tool, the README's command) finds no msgid the .pot lacks."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
         "-c", "Translators:", "--no-location", "--sort-output", "-o", str(fresh), "."],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    with fresh.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with (LOCALE / "briefgen.pot").open("rb") as handle:
        shipped = {m.id for m in read_po(handle) if m.id}
    assert extracted == shipped


def test_a_language_without_a_catalog_builds_in_english_and_says_so(tmp_path: Path) -> None:
    copy_library(tmp_path)
    seed_in("de", tmp_path)
    report = build(config=load_config(tmp_path), formats=["html"])
    (result,) = report.results
    notes = [f for f in result.findings if f.rule == "no-catalog"]
    assert len(notes) == 1 and "'de'" in notes[0].message and notes[0].line == 19
    html = (tmp_path / "output" / "seed-de.html").read_text(encoding="utf-8")
    assert '<html lang="de"' in html and "Key judgments" in html and "12 May" not in html
    assert "We have moderate confidence in this judgment." in html and "8 December 2021" in html


def test_an_edition_in_french(tmp_path: Path) -> None:
    from briefgen.builds.editions import build_edition

    copy_library(tmp_path)
    seed_in("fr", tmp_path)
    build_edition("2021-W49", load_config(tmp_path), formats=["html"])
    html = (tmp_path / "output" / "editions" / "2021-W49.html").read_text(encoding="utf-8")
    text = text_of(parse_html(html).find(".//body"))
    for label in ("Ce qui a changé", "Première édition", "1 événement", "6–12 déc. 2021", "Jugements clés"):
        assert label in text
    assert english_left(without_facts(text), "fr") == []


def test_an_email_in_french() -> None:
    from briefgen.config import Stakeholder
    from briefgen.deliver.compose import render_content
    from briefgen.facts.load import load_brief
    from briefgen.render.environment import make_environment
    from briefgen.render.theme import template_dirs

    brief = load_brief(SEED).brief
    brief = brief.model_copy(update={"brief": brief.brief.model_copy(update={"language": "fr"})})
    reader = Stakeholder(name="Camille Martin", email="camille@example.org")
    content = render_content(
        make_environment(template_dirs(None)), brief, reader, attachment=None, article=None, sender="desk@example.org"
    )
    assert content.subject.endswith("(8 décembre 2021)")
    assert content.text.startswith("Bonjour Camille Martin,")
    assert "L’ESSENTIEL" in content.text and "JUGEMENTS CLÉS" in content.text
    assert "Notre note du 8 décembre 2021 est jointe en PDF. En bref :" in content.html
    assert "Probabilité : " in content.html and "Confiance : modéré" in content.html


def test_dates_and_money_follow_the_language() -> None:
    deal = Money(amount=Decimal("30000000000"), currency="USD", approximate=True, period="per year")
    day = dt.date(2021, 12, 6)
    with i18n.using("en"):
        assert format_money(deal) == "about US$30 billion per year"
        assert (format_date(day), format_date(PartialDate(2021, 12))) == ("6 December 2021", "Dec 2021")
    with i18n.using("fr"):
        assert format_money(deal) == "environ 30 milliards $US per year"  # the period is the analyst's words
        assert (format_date(day), format_date(PartialDate(2021, 12))) == ("6 décembre 2021", "décembre 2021")
        assert format_date(dt.date(2021, 12, 1)) == format_date(PartialDate(2021, 12, 1)) == "1er décembre 2021"
    with i18n.using("ko"):
        assert format_money(deal) == "약 US$ 300억 per year"  # Korean counts in 10⁸: 300억, not "30 billion"
        assert (format_date(day), format_date(PartialDate(2021, 12))) == ("2021년 12월 6일", "2021년 12월")
    with i18n.using("de"):  # no catalog: English labels and forms
        assert format_date(day) == "6 December 2021"


@pytest.mark.parametrize(
    ("language", "read", "confidence", "notice"),
    [
        ("en", "Read the brief", "moderate confidence", "NOT APPROVED"),
        ("fr", "Lire la note", "confiance modérée", "NON APPROUVÉ"),
        ("ko", "보고서 읽기", "신뢰도 보통", "미승인"),
    ],
)
def test_a_webhook_post_and_the_unapproved_notice_speak_the_brief_language(
    language: str, read: str, confidence: str, notice: str
) -> None:
    from briefgen.deliver.webhook import payload, summarise
    from briefgen.facts.load import load_brief
    from briefgen.schedule.approval import UNAPPROVED_NOTICE

    brief = load_brief(SEED).brief
    brief = brief.model_copy(update={"brief": brief.brief.model_copy(update={"language": language})})
    summary = summarise(brief, "https://archive.example.org/public/x.html")
    teams = payload("teams", summary)["attachments"][0]["content"]
    assert teams["actions"][0]["title"] == read
    slack = str(payload("slack", summary)["blocks"])
    assert f"|{read}>" in slack
    estimates = [estimate for _text, estimate in summary.judgments if estimate]
    assert estimates and any(confidence in e for e in estimates)
    if language != "en":  # no English label left in the post's own words
        assert not any("confidence" in e or "likely" in e for e in estimates)
    assert i18n.translate_in(language, UNAPPROVED_NOTICE).startswith(notice)


def test_election_figures_use_the_language_separators() -> None:
    from briefgen.render.formatting import format_number

    with i18n.using("en"):
        assert (format_number(48.5, 1), format_number(1234567)) == ("48.5", "1,234,567")
    with i18n.using("fr"):  # a comma for decimals, a narrow no-break space for thousands
        assert format_number(48.5, 1) == "48,5"
        assert format_number(1234567).replace("\u202f", " ") == "1 234 567"
