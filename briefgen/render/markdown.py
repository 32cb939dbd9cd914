"""Markdown for untrusted facts: converted, then sanitised with nh3."""

from __future__ import annotations

from functools import cache, lru_cache

import markdown as markdown_lib
import nh3
from markupsafe import Markup

#: Tags that Markdown may produce and a brief may show. No images, no embeds, no forms:
#: a fact must never make the renderer fetch anything.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "q",
    "s", "small", "strong", "sub", "sup", "ul",
}  # fmt: skip


_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


_URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _markdown() -> markdown_lib.Markdown:
    return markdown_lib.Markdown(extensions=["sane_lists", "smarty"], output_format="html")


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> Markup:
    """Markdown to sanitised HTML (block level)."""
    md = _markdown()
    html = md.reset().convert(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def markdown_inline(text: str) -> Markup:
    """Markdown for use inside a sentence or table cell: a lone paragraph loses its ``<p>``."""
    html = str(markdown_to_html(text))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)  # noqa: S704 - already sanitised


def with_inline(block: Markup, extra: Markup) -> Markup:
    """Append ``extra`` (e.g. citation marks) inside the last paragraph of a Markdown block,
    so a reference sits at the end of the sentence it supports, not on a line of its own."""
    html = str(block)
    if html.endswith("</p>"):
        return Markup(html[:-4] + " " + str(extra) + "</p>")  # noqa: S704 - both parts are safe markup
    return Markup(html + " " + str(extra))  # noqa: S704
