"""The brief as an editable Word document, made from the same HTML page the PDF is made from.

Walking the rendered page (rather than the facts) keeps one source of truth: a section added
to a template shows up in Word too. Headings get Word's heading styles (its navigation pane
lists them), tables stay tables with a repeating header row, citations are links to
bookmarks on the numbered sources, charts are PNGs (rendered from their SVG with cairosvg)
carrying the chart's text alternative, and the marking is in every page's header and footer.
python-docx rather than pandoc: pandoc drops inline SVG and has no alt text for it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from copy import deepcopy
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["write_docx"]

_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "figure", "figcaption", "footer"}
    | {"header", "h1", "h2", "h3", "h4", "h5", "h6", "li", "main", "nav", "ol", "p", "section", "table", "ul"}
)
_SKIP = frozenset({"script", "style", "title", "head", "nav"})  # Word builds its own contents
_SVG = "{http://www.w3.org/2000/svg}"
_SRC = re.compile(r"^#(src-\d+)$")


def _space(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "")


def _classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


class _Writer:
    def __init__(self, marking: str) -> None:
        from docx import Document

        self.doc = Document()
        self.marking = marking
        self._bookmark = 0

    # ---------------------------------------------------------------- inline content
    def inline(self, paragraph: Any, element: ET.Element, fmt: dict[str, bool] | None = None) -> None:
        """Runs for ``element``'s text and inline children (links, emphasis, citation marks)."""
        fmt = dict(fmt or {})
        if element.text:
            self._run(paragraph, _space(element.text), fmt)
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _SKIP or tag == f"{_SVG}svg":
                pass
            elif tag == "a" and (href := child.get("href") or ""):
                self._link(paragraph, child, href, fmt)
            elif tag == "br":
                paragraph.add_run().add_break()
            else:
                inner = dict(fmt)
                if tag in ("strong", "b"):
                    inner["bold"] = True
                if tag in ("em", "i", "cite"):
                    inner["italic"] = True
                if tag == "sup":
                    inner["superscript"] = True
                self.inline(paragraph, child, inner)
            if child.tail:
                self._run(paragraph, _space(child.tail), fmt)

    def _run(self, paragraph: Any, text: str, fmt: dict[str, bool]) -> Any:
        if not text:
            return None
        run = paragraph.add_run(text)
        run.bold = fmt.get("bold") or None
        run.italic = fmt.get("italic") or None
        if fmt.get("superscript"):
            run.font.superscript = True
        return run

    def _link(self, paragraph: Any, element: ET.Element, href: str, fmt: dict[str, bool]) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        text = _space("".join(element.itertext()))
        link = OxmlElement("w:hyperlink")
        if href.startswith("#"):
            link.set(qn("w:anchor"), _bookmark_name(href[1:]))
        elif href.startswith(("http://", "https://", "mailto:")):
            rel = paragraph.part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
            link.set(qn("r:id"), rel)
        else:
            self._run(paragraph, text, fmt)
            return
        run = OxmlElement("w:r")
        props = OxmlElement("w:rPr")
        style = OxmlElement("w:rStyle")
        style.set(qn("w:val"), "Hyperlink")
        props.append(style)
        if fmt.get("superscript"):
            align = OxmlElement("w:vertAlign")
            align.set(qn("w:val"), "superscript")
            props.append(align)
        run.append(props)
        node = OxmlElement("w:t")
        node.text = text
        node.set(qn("xml:space"), "preserve")
        run.append(node)
        link.append(run)
        paragraph._p.append(link)

    def bookmark(self, paragraph: Any, name: str) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        self._bookmark += 1
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(self._bookmark))
        start.set(qn("w:name"), _bookmark_name(name))
        end.set(qn("w:id"), str(self._bookmark))
        paragraph._p.insert(0, start)
        paragraph._p.append(end)

    # ---------------------------------------------------------------- blocks
    def block(self, element: ET.Element, list_style: str | None = None) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP or "skip-link" in _classes(element):
            return
        if re.fullmatch(r"h[1-6]", tag):
            heading = self.doc.add_heading(level=min(int(tag[1]), 4))
            self.inline(heading, element)
        elif tag in ("ul", "ol"):
            style = "List Number" if tag == "ol" else "List Bullet"
            for item in element:
                if item.tag == "li":
                    self.list_item(item, style)
        elif tag == "table":
            self.table(element)
        elif tag == "figure" and (svg := element.find(f".//{_SVG}svg")) is not None:
            self.chart(svg, element.find("figcaption"))
        elif tag == "dl":
            for child in element:
                if child.tag in ("dt", "dd"):
                    paragraph = self.doc.add_paragraph()
                    self.inline(paragraph, child, {"bold": child.tag == "dt"})
        elif any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in element):
            self.mixed(element)
        elif _space("".join(element.itertext())).strip():
            paragraph = self.doc.add_paragraph(style=list_style)
            self.inline(paragraph, element)

    def mixed(self, element: ET.Element) -> None:
        """A block holding blocks: loose inline content between them becomes paragraphs of its own."""
        loose = ET.Element("p")
        loose.text = element.text

        def flush() -> None:
            nonlocal loose
            if _space("".join(loose.itertext())).strip():
                self.inline(self.doc.add_paragraph(), loose)
            loose = ET.Element("p")

        for child in element:
            if isinstance(child.tag, str) and child.tag in _BLOCKS:
                flush()
                self.block(child)
                loose.text = child.tail
            else:
                loose.append(child)
        flush()

    def list_item(self, item: ET.Element, style: str) -> None:
        paragraph = self.doc.add_paragraph(style=style)
        blocks = [c for c in item if isinstance(c.tag, str) and c.tag in _BLOCKS]
        if blocks:  # a rich item: its first line in the list, the rest as paragraphs after it
            head = ET.Element("span")
            head.text = item.text
            self.inline(paragraph, head)
            for child in item:
                self.block(child)
        else:
            self.inline(paragraph, item)
        if item.get("id"):
            self.bookmark(paragraph, item.get("id", ""))

    def table(self, element: ET.Element) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        caption = element.find("caption")
        if caption is not None:
            self.inline(self.doc.add_paragraph(style="Caption"), caption)
        rows = list(element.iter("tr"))
        if not rows:
            return
        width = max(len([c for c in r if c.tag in ("td", "th")]) for r in rows)
        table = self.doc.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        for row in rows:
            cells = [c for c in row if c.tag in ("td", "th")]
            added = table.add_row()
            if all(c.tag == "th" for c in cells):  # a header row: repeated on each page, read as headers
                header = OxmlElement("w:tblHeader")
                header.set(qn("w:val"), "true")
                added._tr.get_or_add_trPr().append(header)
            for index, cell in enumerate(cells[:width]):
                paragraph = added.cells[index].paragraphs[0]
                self.inline(paragraph, cell, {"bold": cell.tag == "th"})

    def chart(self, svg: ET.Element, caption: ET.Element | None) -> None:
        import cairosvg  # type: ignore[import-untyped]
        from docx.shared import Inches

        title = svg.find(f"{_SVG}title")
        desc = svg.find(f"{_SVG}desc")
        alt = ". ".join(_space(e.text).strip() for e in (title, desc) if e is not None and e.text)
        png = cairosvg.svg2png(bytestring=_svg_bytes(svg), scale=2, unsafe=False)
        shape = self.doc.add_paragraph().add_run().add_picture(io.BytesIO(png), width=Inches(6.3))
        shape._inline.docPr.set("descr", alt)
        shape._inline.docPr.set("title", _space(title.text if title is not None else "").strip())
        if caption is not None:
            self.inline(self.doc.add_paragraph(style="Caption"), caption)

    def marking_bands(self) -> None:
        for section in self.doc.sections:
            for band in (section.header, section.footer):
                paragraph = band.paragraphs[0]
                paragraph.text = self.marking
                paragraph.alignment = 1  # centred
                for run in paragraph.runs:
                    run.bold = True


def _svg_bytes(svg: ET.Element) -> bytes:
    """The chart as a standalone SVG file (the HTML parser keeps ``xmlns`` as an attribute)."""
    copy = deepcopy(svg)
    for element in copy.iter():
        for name in [n for n in element.attrib if n.startswith("{http://www.w3.org/2000/xmlns/}")]:
            del element.attrib[name]
    ET.register_namespace("", _SVG.strip("{}"))
    return ET.tostring(copy)


def _bookmark_name(anchor: str) -> str:
    """Word's bookmark names are letters, digits and underscores."""
    return re.sub(r"\W", "_", anchor)


def write_docx(html: str, *, title: str, author: str, language: str, marking: str, date: dt.date) -> bytes:
    """The Word document for a rendered brief page; the same page and date give the same bytes."""
    import tinyhtml5  # type: ignore[import-untyped]

    tree = tinyhtml5.parse(html, namespace_html_elements=False)
    article = tree.find(".//article")
    writer = _Writer(marking)
    writer.block(article if article is not None else tree)
    writer.marking_bands()
    props = writer.doc.core_properties
    stamp = dt.datetime(date.year, date.month, date.day)
    props.title, props.author, props.language = title, author, language
    props.created = props.modified = stamp
    props.last_modified_by, props.revision = author, 1
    buffer = io.BytesIO()
    writer.doc.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same archive with every member dated ``when``: zip entries otherwise carry the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
