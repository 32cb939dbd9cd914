"""briefgen: structured facts in, polished HTML and PDF briefs out.

The public API is small::

    from briefgen import build, validate, load_config
    report = build()            # every input of the workspace, as the CLI does

Names are imported lazily so that ``import briefgen`` (and the CLI's ``--help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["BriefgenError", "InputError", "TemplateError", "__version__", "build", "load_config", "send", "validate"]

if TYPE_CHECKING:
    from .config import load_config
    from .deliver import send
    from .errors import BriefgenError, InputError, TemplateError
    from .pipeline import build, validate

_LAZY = {
    "build": "pipeline",
    "validate": "pipeline",
    "load_config": "config",
    "send": "deliver",
    "BriefgenError": "errors",
    "InputError": "errors",
    "TemplateError": "errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'briefgen' has no attribute {name!r}")
