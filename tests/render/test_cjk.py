"""A brief written in Korean prints Hangul as real text, in an embedded Korean face."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest

from briefgen import build, load_config
from tests.conftest import DATA, make_workspace

TITLE = "항만 안전 장관 회의"


def _mapped(font: pikepdf.Dictionary) -> set[str]:
    """Every character the font's /ToUnicode map gives (what copy, search and screen readers get)."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    found: set[str] = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for _, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            found.add(bytes.fromhex(target).decode("utf-16-be"))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(start, 16)
            found.update(chr(first + i) for i in range(int(high, 16) - int(low, 16) + 1))
    return found


@pytest.mark.skipif(
    b"Noto Sans CJK KR" not in subprocess.run(["fc-list"], capture_output=True).stdout,
    reason="no Korean face: scripts/bootstrap installs Debian's fonts-noto-cjk",
)
def test_hangul_is_real_text_in_an_embedded_korean_face(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, DATA / "korean.yaml")
    (result,) = build(config=load_config(workspace), formats=["pdf"]).results
    pdf_path = result.outputs[0].path
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert TITLE in text and "부산" in text
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.Root.Lang) == "ko"
        korean = {
            str(font.BaseFont): font
            for page in pdf.pages
            for font in page.Resources.Font.values()
            if "CJK-KR" in str(font.BaseFont)
        }
        assert korean, "no Korean face embedded"
        covered = set().union(*(_mapped(font) for font in korean.values()))
        for font in korean.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            assert any(k in descriptor for k in ("/FontFile2", "/FontFile3"))  # embedded, not referenced
    hangul = {c for c in TITLE + "부산대한민국" if "\uac00" <= c <= "\ud7a3"}
    assert hangul <= covered  # every syllable is drawn from the Korean face and maps back to itself
