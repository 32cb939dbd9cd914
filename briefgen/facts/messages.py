"""How a pydantic error reads to the analyst who wrote the YAML, with hints for its usual traps.

One wording for every file the input side loads (briefs and the library alike).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from briefgen.facts.yamldoc import YamlDocument

__all__ = ["pydantic_message"]


def pydantic_message(error: Any, doc: YamlDocument | None = None) -> str:
    """One pydantic error in a reader's words, with a hint for the usual YAML traps."""
    kind, msg = str(error["type"]), str(error["msg"])
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see `briefgen schema`)" + _flow_comma_hint(error, doc)
    if kind == "string_type" and isinstance(error.get("input"), dt.date | int | float | bool):
        value = error["input"]
        shown = value.isoformat() if isinstance(value, dt.date) else str(value).lower()
        what = "a date" if isinstance(value, dt.date) else "a number" if not isinstance(value, bool) else "true/false"
        return f'expected text; YAML read {shown} as {what}: put it in quotes ("{shown}") to keep it as text'
    if kind == "literal_error":
        return msg.replace("Input should be", "expected")
    msg = msg.replace("Input should be", "expected").replace("Value error, ", "")
    return msg[0].lower() + msg[1:] if msg else msg


def _flow_comma_hint(error: Any, doc: YamlDocument | None) -> str:
    """``{city: Washington, D.C.}``: the comma ends the value and ``D.C.`` becomes a key."""
    if doc is None or not error["loc"]:
        return ""
    line, _ = doc.locate(tuple(error["loc"]))
    try:
        text = doc.path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return ""
    key = str(error["loc"][-1])
    if "{" in text and f", {key}" in text:
        return (
            f"; inside {{…}} a comma separates fields, so {key!r} became a field name: "
            'put a value that holds a comma in quotes, e.g. city: "Washington, D.C."'
        )
    return ""
