"""The reader's language: message catalogs, and the language a render is in.

Labels are English msgids marked with ``_``/``N_`` (Python) or ``_()``/``{% trans %}``
(templates) and looked up at render time in ``briefgen/locale/<lang>/LC_MESSAGES/briefgen.po``.
The .po files are compiled in memory the first time a language is used (Babel's pofile and
mofile, cached per process): no build step, and the wheel ships only the sources translators edit.

The active language is a context variable set by :func:`using` around a render, so the
Python helpers that make labels for templates (section titles, chart text, the ICD 203 scale)
translate with the brief's language without threading it through every call.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "briefgen"
SOURCE_LANGUAGE = "en"

_active: ContextVar[str] = ContextVar("briefgen_language", default=SOURCE_LANGUAGE)


def N_(message: str) -> str:
    """Mark a label for extraction without translating it here (it is translated where shown)."""
    return message


def base_language(tag: str) -> str:
    """``fr-CA`` → ``fr``: catalogs are kept per language, not per region."""
    return tag.replace("_", "-").split("-")[0].lower()


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / base_language(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


def available() -> list[str]:
    """Languages with a catalog, English (the source language) first."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return [SOURCE_LANGUAGE, *(lang for lang in found if lang != SOURCE_LANGUAGE)]


@cache
def has_catalog(language: str) -> bool:
    """Whether labels can be shown in ``language`` (English always can: the msgids are English)."""
    lang = base_language(language)
    return lang == SOURCE_LANGUAGE or catalog_path(lang).is_file()


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalog of ``language``; English labels (the msgids) when it has none."""
    lang = base_language(language)
    path = catalog_path(lang)
    if lang == SOURCE_LANGUAGE or not path.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy entry is a guess: show English instead
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def current() -> str:
    """The language labels are being rendered in."""
    return _active.get()


@contextmanager
def using(language: str) -> Iterator[str]:
    """Render labels in ``language`` inside the block (English labels when it has no catalog)."""
    token = _active.set(language)
    try:
        yield language
    finally:
        _active.reset(token)


def gettext(message: str) -> str:
    """``message`` in the active language (the empty string stays empty, not the catalog header)."""
    return translations(_active.get()).gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_active.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_active.get()).pgettext(context, message)


_ = gettext


def translate_in(language: str, message: str) -> str:
    """``message`` in ``language``, outside a render (e.g. text analysis adds to a brief)."""
    return translations(language).gettext(message) if message else message
