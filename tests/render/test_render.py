"""HTML rendering: structure, citations, escaping and sanitising, template search and errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from briefgen.errors import TemplateError
from briefgen.facts.load import load_brief
from briefgen.facts.schema import Money
from briefgen.render.brief import Citations, render_html, sections_for
from briefgen.render.environment import make_environment
from briefgen.render.formatting import format_money
from briefgen.render.markdown import markdown_to_html
from briefgen.render.theme import template_dirs

from ..conftest import DATA, SEED, Built, parse_html, text_of


def render(path: Path, user_templates: Path | None = None) -> str:
    env = make_environment(template_dirs(user_templates))
    return render_html(load_brief(path).brief, env)


@pytest.fixture(scope="module")
def hostile_html() -> str:
    return render(DATA / "hostile.yaml")


def test_page_is_semantic_and_self_contained() -> None:
    html = render(DATA / "minimal.yaml")
    root = parse_html(html)
    assert root.get("lang") == "en"
    assert root.find(".//article") is not None
    assert [h.text for h in root.iter("h1")] == ["Ministers meet on harbour safety"]
    assert root.find(".//head/style") is not None
    # Nothing external: no stylesheet links, scripts or images.
    assert root.find(".//link") is None and root.find(".//script") is None and root.find(".//img") is None
    assert 'http-equiv="Content-Security-Policy"' in html


def test_absent_sections_have_no_heading() -> None:
    brief = load_brief(DATA / "minimal.yaml").brief
    expected = ["key-judgments", "event", "sources", "annex"]
    assert [s.id for s in sections_for(brief)] == expected
    root = parse_html(render(DATA / "minimal.yaml"))
    ids = [s.get("id") for s in root.iter("section")]
    assert ids == expected
    assert "Agreements" not in text_of(root) and "Sanction" not in text_of(root)


def test_seed_sections_in_order() -> None:
    root = parse_html(render(SEED))
    ids = [s.get("id") for s in root.iter("section")]
    assert ids == [
        "key-judgments", "event", "agreements", "context", "timeline", "sanction-risk", "scenarios", "outlook",
        "sources", "annex",
    ]  # fmt: skip
    toc = [a.get("href") for a in root.find(".//nav").iter("a")]
    assert toc == [f"#{i}" for i in ids]
    every_id = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(every_id) == len(set(every_id))  # a link to "#timeline" must have one place to go


def test_citations_number_sources_by_first_use_and_link_to_the_list() -> None:
    brief = load_brief(SEED).brief
    citations = Citations([brief])
    first_cited = brief.key_judgments[0].sources[0]
    assert citations.number(first_cited) == 1
    assert sorted(r.number for r in citations.references) == list(range(1, len(brief.sources) + 1))
    root = parse_html(render(SEED))
    anchors = {li.get("id") for li in root.find(".//ol[@class='sources']")}
    hrefs = {a.get("href")[1:] for a in root.iter("a") if (a.get("href") or "").startswith("#src-")}
    assert hrefs and hrefs <= anchors


def test_source_disagreement_is_shown_where_the_fact_is() -> None:
    root = parse_html(render(SEED))
    agreements = text_of(root.find(".//section[@id='agreements']"))
    assert "Sources differ" in agreements and "2030" in agreements and "2031" in agreements


def test_plain_fields_are_escaped(hostile_html: str) -> None:
    root = parse_html(hostile_html)
    assert root.find(".//script") is None
    assert "<script>alert('title')</script> Hostile <b>title</b>" in text_of(root.find(".//h1"))
    assert "&lt;script&gt;" in hostile_html


def test_markdown_is_sanitised(hostile_html: str) -> None:
    root = parse_html(hostile_html)
    for tag in ("script", "img", "iframe", "svg", "image", "link"):
        assert root.find(f".//body//{tag}") is None, tag
    assert len(root.findall(".//style")) == 1  # only the theme's own, in <head>
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.startswith("on"), (element.tag, name)
            assert name != "style" or element.tag == "meta"
            assert "javascript:" not in value.lower()
    body = text_of(root.find(".//body"))
    assert "Bottom line with bold" in body  # Markdown still works
    assert "alert('md')" not in body


def test_markdown_links_get_safe_rel() -> None:
    html = str(markdown_to_html("[x](https://example.org) [y](javascript:alert(1))"))
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer"' in html
    assert "javascript" not in html


@pytest.mark.parametrize(
    ("money", "expected"),
    [
        (Money(amount=Decimal("30000000000"), currency="USD", period="per year", approximate=True),
         "about US$30 billion per year"),
        (Money(amount=Decimal("5430000000"), currency="USD"), "US$5.43 billion"),
        (Money(amount=Decimal("1500"), currency="CHF"), "CHF 1,500"),
    ],
)  # fmt: skip
def test_money(money: Money, expected: str) -> None:
    assert format_money(money) == expected


def test_user_template_overrides_one_partial(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "title.html.j2").write_text("<header><h1>CUSTOM {{ meta.title }}</h1></header>")
    root = parse_html(render(DATA / "minimal.yaml", tmp_path))
    assert text_of(root.find(".//h1")) == "CUSTOM Ministers meet on harbour safety"
    assert root.find(".//section[@id='key-judgments']") is not None  # the rest still comes from the theme


def test_user_stylesheet_overrides_theme(tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("body { color: rebeccapurple; }")
    html = render(DATA / "minimal.yaml", tmp_path)
    assert "rebeccapurple" in html and "--accent" not in html


def test_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    bad = tmp_path / "partials" / "event.html.j2"
    bad.write_text("<p>\n{% if event %}\n<p>unclosed\n")
    with pytest.raises(TemplateError) as info:
        render(DATA / "minimal.yaml", tmp_path)
    assert info.value.file == str(bad)
    assert info.value.line == 4 or info.value.line == 3
    assert str(info.value).startswith(f"{bad}:")


def test_template_runtime_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    bad = tmp_path / "partials" / "event.html.j2"
    bad.write_text("<p>fine</p>\n<p>{{ brief.no_such_field }}</p>\n")
    with pytest.raises(TemplateError) as info:
        render(DATA / "minimal.yaml", tmp_path)
    assert info.value.file == str(bad.resolve()) and info.value.line == 2
    assert "no_such_field" in str(info.value)


@pytest.mark.parametrize(
    "fact", ["New Delhi", "2+2", "AK-203", "S-400", "CAATSA", "Turkey", "2031", "2025", "US$30 billion"]
)
def test_seed_html_carries_the_summits_facts(built_examples: Built, fact: str) -> None:
    root = parse_html(built_examples.path("india-russia-summit-2021-12", "html").read_text())
    assert fact in text_of(root.find(".//body"))


def test_seed_html_sources_list(built_examples: Built) -> None:
    root = parse_html(built_examples.path("india-russia-summit-2021-12", "html").read_text())
    items = root.find(".//section[@id='sources']/ol")
    brief = load_brief(SEED).brief
    assert len(items) == len(brief.sources)
    assert [li.get("id") for li in items] == [f"src-{n}" for n in range(1, len(items) + 1)]
    assert "Congress.gov" in text_of(items)


def test_evidence_locators_show_as_pinpoint_citations_and_quotes_do_not(tmp_path: Path) -> None:
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  place: {city: Valletta, country: Malta}\n",
        "  place: {city: Valletta, country: Malta}\n"
        "  evidence:\n"
        "    - {source: wire, quote: ministers met in Valletta on Friday <b>x</b>, locator: para. 3}\n",
    )
    (tmp_path / "pinned.yaml").write_text(text, encoding="utf-8")
    html = render(tmp_path / "pinned.yaml")
    assert '<sup class="cite">[<a href="#src-1">1</a>, para. 3]</sup>' in html
    assert "ministers met in Valletta on Friday" not in html and "<b>x</b>" not in html


def test_a_draft_says_so_and_never_shows_its_candidates(tmp_path: Path) -> None:
    text = (
        (DATA / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace("  author: Test desk\n", "  author: Test desk\n  draft: true\n")
    )
    text += (
        "candidates:\n"
        "  - {kind: money, text: 'a secret $12 million', belongs: agreement, sentence: 1, paragraph: 1,"
        " start: 0, end: 5, value: {amount: '12000000', currency: USD}}\n"
    )
    (tmp_path / "draft.yaml").write_text(text, encoding="utf-8")
    html = render(tmp_path / "draft.yaml")
    assert 'class="draft-banner"' in html and "DRAFT · UNCLASSIFIED" in html
    assert "secret" not in html and "12 million" not in html and "12,000,000" not in html
