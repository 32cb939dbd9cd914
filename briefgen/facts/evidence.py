"""Evidence pinned to the source's words: finding a short quote in a source's saved text.

Quotes are compared after normalising what copying and retyping change: runs of whitespace,
curly and straight quotes, the dashes, and case is kept (a changed word is a changed quote).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["TEXTS_DIR", "normalise", "quote_in", "text_path"]

#: Where a workspace keeps its sources' texts (git-ignored: the words are the publisher's).
TEXTS_DIR = Path("library") / "texts"

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2026": "...",
    }
)


def normalise(text: str) -> str:
    """Whitespace collapsed, quotes straightened, dashes made hyphens; spaces around dashes dropped."""
    text = " ".join(text.translate(_TRANSLATE).split())
    return re.sub(r"\s*-\s*", "-", text)


def quote_in(quote: str, text: str) -> bool:
    return normalise(quote) in normalise(text)


def text_path(root: Path, source_id: str) -> Path:
    """The saved text of source ``source_id`` in the workspace at ``root``."""
    return root / TEXTS_DIR / f"{source_id}.txt"
