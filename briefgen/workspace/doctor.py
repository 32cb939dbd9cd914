"""``briefgen doctor``: what this machine gives briefgen, and what to install where it falls short.

Versions of Python, briefgen and WeasyPrint, the Pango and HarfBuzz libraries WeasyPrint
renders with, whether HarfBuzz's fast font subsetter is there (without it WeasyPrint falls
back to fontTools, several times slower on large documents), and the theme's fonts. In a
workspace, also whether each schedule that asks for approval has an approver cleared for every
variant its recipients get (else such an edition is held).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from briefgen.__about__ import __version__

if TYPE_CHECKING:
    from briefgen.config import Config

Status = Literal["ok", "warn", "missing"]

#: Debian/Ubuntu packages, as scripts/bootstrap installs them.
THEME_FONTS = {"Inter": "fonts-inter", "Caladea": "fonts-crosextra-caladea"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def _library_version(names: list[str], symbol: str) -> str | None:
    for name in names:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        function = getattr(library, symbol, None)
        if function is None:
            return "present"
        function.restype = ctypes.c_char_p
        value = function()
        return value.decode() if isinstance(value, bytes) else "present"
    return None


def _font_installed(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    return any(family in line.split(",") for line in listed.splitlines())


def checks() -> list[Check]:
    found: list[Check] = [
        Check("python", "ok" if sys.version_info >= (3, 11) else "missing", platform.python_version(), "Python ≥ 3.11"),
        Check("briefgen", "ok", __version__),
    ]
    try:
        import weasyprint
        from weasyprint.text.ffi import harfbuzz_subset, pango
    except OSError as exc:  # the shared libraries are missing
        found.append(
            Check("weasyprint", "missing", f"cannot load: {exc}", "apt-get install libpango-1.0-0 libpangoft2-1.0-0")
        )
        return found
    found.append(Check("weasyprint", "ok", weasyprint.__version__))
    major, rest = divmod(pango.pango_version(), 10000)
    found.append(Check("pango", "ok", f"{major}.{rest // 100}.{rest % 100}"))
    harfbuzz = _library_version(["libharfbuzz.so.0", "libharfbuzz.0.dylib"], "hb_version_string")
    found.append(Check("harfbuzz", "ok" if harfbuzz else "missing", harfbuzz or "not found", "libharfbuzz0b"))
    found.append(
        Check(
            "fast font subsetter",
            "ok" if harfbuzz_subset is not None else "warn",
            "libharfbuzz-subset found" if harfbuzz_subset is not None else "not found: fontTools is used (slower)",
            "" if harfbuzz_subset is not None else "apt-get install libharfbuzz-subset0",
        )
    )
    for family, package in THEME_FONTS.items():
        ok = _font_installed(family)
        found.append(
            Check(
                f"font {family}",
                "ok" if ok else "warn",
                "installed" if ok else "not found: the theme falls back to other fonts",
                "" if ok else f"apt-get install {package}",
            )
        )
    for tool, package, why in (
        ("pdftoppm", "poppler-utils", "tests render PDF pages"),
        ("chromium", "chromium", "browser tests"),
    ):
        path = shutil.which(tool)
        found.append(
            Check(
                tool,
                "ok" if path else "warn",
                path or f"not found ({why})",
                "" if path else f"apt-get install {package}",
            )
        )
    return found


def approval_checks(config: Config) -> list[Check]:
    """Per schedule that asks for approval: is an approver cleared for every level its recipients get?"""
    from briefgen.errors import InputError
    from briefgen.schedule.approval import uncleared_levels, uncleared_text

    found: list[Check] = []
    for spec in config.schedules:
        if not spec.approval:
            continue
        name = f"approvers of {spec.name}"
        try:
            levels = uncleared_levels(config, spec)
        except InputError as exc:
            found.append(Check(name, "warn", str(exc), "fix the schedule's approvers or groups"))
            continue
        if levels:
            detail = f"{uncleared_text(levels)} (an edition with such material is held)"
            found.append(Check(name, "warn", detail, "[release] groups: map an approver's group to that level"))
        else:
            found.append(Check(name, "ok", "cleared for every variant its recipients get"))
    return found


def healthy(results: list[Check]) -> bool:
    return not any(c.status == "missing" for c in results)
