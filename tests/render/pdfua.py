"""A PDF/UA-1 checker for the machine-checkable Matterhorn checkpoints, written with pikepdf.

veraPDF (the reference validator) has no Debian, Python or npm package, so the tests check
what a machine can check themselves: the structure tree and MarkInfo (01-002..004), the
document language (11-006), the title shown in the window (07-001, 06-003), every Figure
with an Alt (13-004), table headers with a Scope (15-003), heading levels without a skip
(14-003), page content inside marked content or artifacts (01-005), and embedded fonts with
Unicode maps (31-009, 31-027).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

CHECKS = ("structure", "lang", "title", "figures", "tables", "headings", "content", "fonts")


@dataclass
class Report:
    """What the checker found in one PDF: counts of what it looked at, and failures by check."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CHECKS})

    @property
    def failed(self) -> int:
        return sum(len(f) for f in self.failures.values())

    def row(self) -> str:
        cells = " | ".join(f"{len(self.failures[c])}" for c in CHECKS)
        seen = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return f"| {self.path.name} | {cells} | {seen} |"


def _elements(root: pikepdf.Object) -> list[pikepdf.Dictionary]:
    """Every structure element below ``root``, in document order."""
    ordered: list[pikepdf.Dictionary] = []

    def walk(node: pikepdf.Object) -> None:
        kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
        if kids is None:
            return
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                ordered.append(kid)
                walk(kid)

    walk(root)
    return ordered


def _role(element: pikepdf.Dictionary, role_map: pikepdf.Object | None) -> str:
    role = str(element["/S"])
    if role_map is not None and role in role_map:
        role = str(role_map[role])
    return role.lstrip("/")


def _scope(element: pikepdf.Dictionary) -> str | None:
    attrs = element.get("/A")
    for attr in list(attrs) if isinstance(attrs, pikepdf.Array) else [attrs]:
        if isinstance(attr, pikepdf.Dictionary) and "/Scope" in attr:
            return str(attr["/Scope"])
    return None


_BDC = re.compile(rb"/(\w+)\s*(?:<<[^>]*>>|/\w+)?\s*BDC|/(\w+)\s+BMC|\bEMC\b|\bT[Jj]\b|\bDo\b|\b[fFB]\*?\b|\bS\b")


def _unmarked_operators(pdf: pikepdf.Pdf) -> int:
    """Text shows, image draws, fills and strokes outside any marked-content sequence."""
    loose = 0
    for page in pdf.pages:
        depth = 0
        for _operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BDC", "BMC"):
                depth += 1
            elif op == "EMC":
                depth -= 1
            elif op in ("Tj", "TJ", "'", '"', "Do", "f", "F", "f*", "B", "B*", "S", "b", "b*") and depth <= 0:
                loose += 1
    return loose


def _fonts(pdf: pikepdf.Pdf) -> dict[tuple[int, int], pikepdf.Dictionary]:
    fonts: dict[tuple[int, int], pikepdf.Dictionary] = {}
    for page in pdf.pages:
        resources = page.obj.get("/Resources", {})
        for font in (resources.get("/Font") or {}).values():
            fonts[font.objgen] = font
    return fonts


def _embedded(font: pikepdf.Dictionary) -> bool:
    descendants = font.get("/DescendantFonts")
    target = descendants[0] if descendants is not None else font
    descriptor = target.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def check_pdf(path: Path) -> Report:
    """Check one PDF; ``Report.failed`` is 0 when every checkpoint passes."""
    report = Report(path)
    fail = report.failures
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        tree = root.get("/StructTreeRoot")
        mark = root.get("/MarkInfo")
        if tree is None:
            fail["structure"].append("no /StructTreeRoot")
        if mark is None or not bool(mark.get("/Marked", False)):
            fail["structure"].append("/MarkInfo /Marked is not true")
        if "pdfuaid" not in bytes(root.get("/Metadata").read_bytes() if "/Metadata" in root else b"").decode(
            errors="replace"
        ):
            fail["structure"].append("no pdfuaid:part in the XMP metadata")
        lang = root.get("/Lang")
        if lang is None or not str(lang).strip():
            fail["lang"].append("no /Lang in the catalog")
        prefs = root.get("/ViewerPreferences")
        if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
            fail["title"].append("/ViewerPreferences /DisplayDocTitle is not true")
        if not str(pdf.docinfo.get("/Title", "")).strip():
            fail["title"].append("no document title")

        elements = _elements(tree) if tree is not None else []
        role_map = tree.get("/RoleMap") if tree is not None else None
        roles = [_role(e, role_map) for e in elements]
        report.counts["elements"] = len(elements)

        figures = [e for e, r in zip(elements, roles, strict=True) if r == "Figure"]
        report.counts["figures"] = len(figures)
        for index, figure in enumerate(figures, 1):
            alt = str(figure.get("/Alt", "")).strip()
            if not alt and not str(figure.get("/ActualText", "")).strip():
                fail["figures"].append(f"Figure {index} has no /Alt")

        headers = [e for e, r in zip(elements, roles, strict=True) if r == "TH"]
        report.counts["table headers"] = len(headers)
        for index, header in enumerate(headers, 1):
            if _scope(header) not in ("/Row", "/Column", "/Both"):
                fail["tables"].append(f"TH {index} has no /Scope")

        tables = [e for e, r in zip(elements, roles, strict=True) if r == "Table"]
        report.counts["tables"] = len(tables)
        for index, element in enumerate(tables, 1):
            if not any(_role(e, role_map) == "TH" for e in _elements(element)):
                fail["tables"].append(f"Table {index} has no header cell (TH)")

        levels = [int(r[1]) for r in roles if re.fullmatch(r"H[1-6]", r)]
        report.counts["headings"] = len(levels)
        previous = 0
        for level in levels:
            if level > previous + 1:
                fail["headings"].append(f"H{level} follows H{previous or '-'}")
            previous = level

        loose = _unmarked_operators(pdf)
        if loose:
            fail["content"].append(f"{loose} painting operators outside marked content")

        fonts = _fonts(pdf)
        report.counts["fonts"] = len(fonts)
        for font in fonts.values():
            name = str(font.get("/BaseFont", "?"))
            if not _embedded(font):
                fail["fonts"].append(f"{name} is not embedded")
            if "/ToUnicode" not in font:
                fail["fonts"].append(f"{name} has no /ToUnicode")
    return report


def table(reports: list[Report]) -> str:
    """The per-document table for a report: failures per check, and what was looked at."""
    head = "| document | " + " | ".join(CHECKS) + " | checked |"
    rule = "|---" * (len(CHECKS) + 2) + "|"
    return "\n".join([head, rule, *(r.row() for r in reports)])
