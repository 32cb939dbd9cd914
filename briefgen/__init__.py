"""briefgen: structured facts in, polished HTML and PDF briefs out.

The public API is small::

    from briefgen import build, validate, load_config
    report = build()            # every input of the workspace, as the CLI does

Names are imported lazily so that ``import briefgen`` (and the CLI's ``--help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from briefgen.__about__ import __version__

__all__ = ["BriefgenError", "InputError", "TemplateError", "__version__", "build", "load_config", "send", "validate"]

if TYPE_CHECKING:
    from briefgen.builds.briefs import build, validate
    from briefgen.config import load_config
    from briefgen.deliver.send import send
    from briefgen.errors import BriefgenError, InputError, TemplateError

_LAZY = {
    "build": "briefgen.builds.briefs",
    "validate": "briefgen.builds.briefs",
    "load_config": "briefgen.config",
    "send": "briefgen.deliver.send",
    "BriefgenError": "briefgen.errors",
    "InputError": "briefgen.errors",
    "TemplateError": "briefgen.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'briefgen' has no attribute {name!r}")
