"""A brief's facts as the JSON an archival PDF carries, and reading them back out of the PDF.

A PDF/A-3 brief embeds its validated input as an associated file, so the archived document
alone is enough to build it again (``briefgen extract``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from briefgen.errors import BriefgenError
from briefgen.facts.schema import Brief

__all__ = [
    "EDITION_FACTS_NAME",
    "FACTS_NAME",
    "FACTS_SCHEMA_VERSION",
    "ExtractError",
    "edition_facts_json",
    "extract_facts",
    "facts_json",
    "facts_yaml",
]

#: The name of the embedded file.
FACTS_NAME = "briefgen-facts.json"
#: The name of the file an archival edition embeds (the facts of each of its briefs).
EDITION_FACTS_NAME = "briefgen-edition-facts.json"
#: Raised when the input schema changes incompatibly, so a reader knows what it holds.
FACTS_SCHEMA_VERSION = 1


class ExtractError(BriefgenError):
    """The file is not a PDF, or carries no briefgen facts (exit 2, one line)."""

    exit_code = 2


#: Fields that name a fact-library entry. The loader has already filled in what they stand
#: for, so the archived facts leave them out and stand alone, without the library.
_LIBRARY_REFERENCES = frozenset({"actor", "law", "action"})


def _without_references(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_references(v) for k, v in value.items() if k not in _LIBRARY_REFERENCES}
    if isinstance(value, list):
        return [_without_references(v) for v in value]
    return value


def facts_json(brief: Brief) -> bytes:
    """The envelope embedded in the PDF: schema version and the brief's facts, self-contained."""
    facts = brief.model_dump(mode="json", by_alias=True, exclude_unset=True)
    envelope = {"briefgen_facts": FACTS_SCHEMA_VERSION, "brief": _without_references(facts)}
    return (json.dumps(envelope, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


def edition_facts_json(edition_id: str, briefs: Sequence[Brief]) -> bytes:
    """The envelope an archival edition embeds: its id and the facts of every brief it shows."""
    facts = [_without_references(b.model_dump(mode="json", by_alias=True, exclude_unset=True)) for b in briefs]
    envelope = {"briefgen_facts": FACTS_SCHEMA_VERSION, "edition": edition_id, "briefs": facts}
    return (json.dumps(envelope, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


def extract_facts(path: Path) -> dict[str, Any]:
    """The envelope embedded in ``path``, checked: its schema version and facts that validate."""
    import logging

    from pydantic import ValidationError
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about a broken file: ours says it in one line
    try:
        reader = PdfReader(path)
        attachments = reader.attachments
    except (OSError, PyPdfError, ValueError) as exc:
        raise ExtractError(f"{path}: not a readable PDF ({exc})") from None
    contents = attachments.get(FACTS_NAME)
    if not contents:
        raise ExtractError(
            f"{path}: carries no briefgen facts (build it with --pdf-standard a-3b, a-3u or a-3a to embed them)"
        )
    try:
        envelope = json.loads(contents[0])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExtractError(f"{path}: {FACTS_NAME}: not JSON ({exc})") from None
    version = envelope.get("briefgen_facts") if isinstance(envelope, dict) else None
    if version != FACTS_SCHEMA_VERSION:
        raise ExtractError(f"{path}: {FACTS_NAME}: briefgen_facts: expected {FACTS_SCHEMA_VERSION}, got {version!r}")
    try:
        Brief.model_validate(envelope.get("brief"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ExtractError(f"{path}: {FACTS_NAME}: brief.{where}: {first['msg']}") from None
    return envelope  # type: ignore[no-any-return]


def facts_yaml(envelope: dict[str, Any]) -> str:
    """The facts of an envelope as an input file that ``briefgen build`` takes."""
    import yaml

    header = f"# Extracted by briefgen from an archived PDF (facts schema {envelope['briefgen_facts']}).\n"
    return header + yaml.safe_dump(envelope["brief"], allow_unicode=True, sort_keys=False, width=100)
