"""Bind separately laid-out parts into one PDF: pages in order, one outline, links across parts,
page numbers over the whole.

A big edition is laid out in parts (see :func:`briefgen.render.edition.render_edition_parts`) so that
no process holds the layout of hundreds of pages at once, and so that the parts can be laid out
side by side in worker processes. What ties the parts together is done here, with pypdf:

- pages are appended in order, and one outline is built from every part's headings (a part
  that begins inside a section nests its headings under that section, as a whole document would);
- a link to an anchor in another part was kept by giving it a stand-in anchor in its own part
  (:func:`briefgen.render.pdf.write_part`); the bound document's named destinations are rebuilt from
  the real anchors, so every link lands where its target really is;
- the parts carry no page numbers; a page-number layer laid out for the whole document
  (one blank page per page, only the page-number margin box drawn) is stamped over them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PdfPart", "bind", "page_of"]


@dataclass
class PdfPart:
    """One part as laid out by :func:`briefgen.render.pdf.write_part`."""

    data: bytes
    pages: int
    #: Every anchor (HTML ``id``) the part really holds: name → (page index, x, y), PDF points.
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    #: The part's headings for the outline: (level, label, page index, x, y), in order.
    bookmarks: list[tuple[int, str, int, float, float]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def page_of(parts: Sequence[PdfPart], anchor: str) -> int | None:
    """The 1-based page of the bound document where ``anchor`` is, or None."""
    offset = 0
    for part in parts:
        if anchor in part.anchors:
            return offset + part.anchors[anchor][0] + 1
        offset += part.pages
    return None


def bind(parts: Sequence[PdfPart], numbers: bytes | None = None) -> bytes:
    """The parts as one PDF, with ``numbers`` (a PDF of as many pages) stamped over them.

    Metadata (title, author, keywords, dates) come from the first part.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, Fit, FloatObject, NameObject, TextStringObject

    writer = PdfWriter()
    starts = []
    readers = [PdfReader(io.BytesIO(part.data)) for part in parts]
    for reader in readers:
        starts.append(len(writer.pages))
        writer.append(reader, import_outline=False)
    first = readers[0].metadata
    if first:
        writer.add_metadata({k: v for k, v in first.items() if isinstance(v, str)})

    parents: list[tuple[int, Any]] = []  # the open outline items, outermost first: (level, item)
    for start, part in zip(starts, parts, strict=True):
        for level, label, index, x, y in part.bookmarks:
            while parents and parents[-1][0] >= level:
                parents.pop()
            parent = parents[-1][1] if parents else None
            item = writer.add_outline_item(title=label, page_number=start + index, parent=parent, fit=Fit.xyz(x, y, 0))
            parents.append((level, item))

    # One destination per name, from the part that really holds it (the first, as WeasyPrint does).
    places: dict[str, ArrayObject] = {}
    for start, part in zip(starts, parts, strict=True):
        for name, (index, x, y) in part.anchors.items():
            if name not in places:
                page = writer.pages[start + index].indirect_reference
                places[name] = ArrayObject([page, NameObject("/XYZ"), FloatObject(x), FloatObject(y), FloatObject(0)])
    tree = ArrayObject()
    for name in sorted(places):  # a name tree's keys are sorted
        tree += [TextStringObject(name), places[name]]
    names = writer.root_object.get("/Names")
    names = names.get_object() if names is not None else DictionaryObject()
    names[NameObject("/Dests")] = DictionaryObject({NameObject("/Names"): tree})
    writer.root_object[NameObject("/Names")] = names

    if numbers is not None:
        _stamp(writer, PdfReader(io.BytesIO(numbers)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamp(writer: Any, numbers: Any) -> None:
    """Draw each page of ``numbers`` over the same page of ``writer``.

    Each number page becomes a form XObject that the page draws after its own content (kept
    between q/Q so its graphics state cannot leak). Unlike pypdf's ``merge_page``, no content
    stream is decoded or re-encoded: it costs milliseconds, not seconds, for hundreds of pages.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    if len(numbers.pages) != len(writer.pages):
        raise ValueError(f"page numbers for {len(numbers.pages)} pages, but the document has {len(writer.pages)}")
    # pypdf has no public way to add a new indirect object; _add_object is what its own helpers use.
    opening = DecodedStreamObject()
    opening.set_data(b"q\n")
    before = writer._add_object(opening)
    for number, (page, stamp) in enumerate(zip(writer.pages, numbers.pages, strict=True), 1):
        form = stamp["/Contents"].get_object().clone(writer).get_object()
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): stamp.mediabox,
                NameObject("/Resources"): stamp["/Resources"].clone(writer),
            }
        )
        # The pages of a part share one resource dictionary (copying it per page would cost
        # kilobytes a page): each page's form goes in under a name of its own.
        name = NameObject(f"/BriefgenPage{number}")
        resources = page["/Resources"].get_object()
        xobjects = resources.get("/XObject")
        if xobjects is None:
            xobjects = resources[NameObject("/XObject")] = DictionaryObject()
        xobjects.get_object()[name] = form.indirect_reference
        closing = DecodedStreamObject()
        closing.set_data(b"Q\nq " + name.encode() + b" Do Q\n")
        contents = page["/Contents"]
        own = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([before, *own, writer._add_object(closing)])
