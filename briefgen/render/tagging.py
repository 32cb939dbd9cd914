"""Three corrections to WeasyPrint's PDF tags: a /Scope on every table header, a chart's whole
text alternative as its /Alt, and no /Table for a table the stylesheet lays out as blocks.

WeasyPrint links data cells to their headers with /Headers and /ID, but writes no /Scope
(Matterhorn 15-003 wants one, and several checkers look only for it); and it takes a
chart's /Alt from the SVG's ``<title>`` alone, dropping the ``<desc>`` that carries the
chart's data; and it tags by HTML element, so an edition's agreements (a table shown as
cards, its header hidden) became a /Table without headers. WeasyPrint has no hook for
these, so this wraps its tag-tree builder: each structure element is finished as WeasyPrint
made it, then corrected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

_SVG = "{http://www.w3.org/2000/svg}"
_CELL_ROLES = frozenset({"/Table", "/THead", "/TBody", "/TFoot", "/TR", "/TD", "/TH"})
_TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th"})


def _laid_out_as_blocks(box: Any) -> bool:
    """A table element the stylesheet turned into blocks (``display: block`` and the like)."""
    if getattr(box, "element_tag", None) not in _TABLE_PARTS or getattr(box, "style", None) is None:
        return False
    if getattr(box, "is_table_wrapper", False):  # a real table: the wrapper is a block around it
        return False
    return not any("table" in str(part) for part in box.style["display"])


def _chart_text(element: Any) -> str | None:
    """The SVG's title and description as one text: what a screen reader says for the chart."""
    parts = [
        " ".join(child.text.split())
        for child in (element.find(f"{_SVG}title"), element.find(f"{_SVG}desc"))
        if child is not None and child.text
    ]
    return ". ".join(parts) or None


def _wrap(build: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    import pydyf  # type: ignore[import-untyped]

    def build_with_scope(box: Any, *args: Any) -> Iterator[Any]:
        for element in build(box, *args):
            is_svg = getattr(box, "element", None) is not None and box.element.tag == f"{_SVG}svg"
            if element.get("S") == "/Figure" and is_svg and (text := _chart_text(box.element)):
                element["Alt"] = pydyf.String(text)
            if _laid_out_as_blocks(box) and str(element.get("S")) in _CELL_ROLES:
                element["S"] = "/Div"
            yield element
        mark = getattr(box, "mark", None)
        if (
            mark is not None
            and box.element_tag == "th"
            and not _laid_out_as_blocks(box)
            and isinstance(mark.get("A"), dict)
        ):
            scope = box.element.attrib.get("scope", "col")
            mark["A"]["Scope"] = {"row": "/Row", "both": "/Both"}.get(scope, "/Column")

    build_with_scope.__wrapped__ = build  # type: ignore[attr-defined]
    return build_with_scope


def tag_table_scopes_and_chart_text() -> None:
    """Install the wrapper once (idempotent); a WeasyPrint without the builder is left as is."""
    from weasyprint.pdf import tags

    current = getattr(tags, "_build_box_tree", None)
    if current is None or hasattr(current, "__wrapped__"):
        return
    tags._build_box_tree = _wrap(current)
