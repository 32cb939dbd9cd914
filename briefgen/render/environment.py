"""The Jinja environment: autoescaping, a bytecode cache, errors with template lines."""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from briefgen import i18n
from briefgen.__about__ import __version__
from briefgen.errors import TemplateError
from briefgen.render.formatting import (
    format_date,
    format_money,
    format_number,
    format_percent,
    format_signed,
    format_window,
    gist,
    iso_date,
)
from briefgen.render.markdown import markdown_inline, markdown_to_html, with_inline


@cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs, like Python's .pyc files (Jinja checks each
    against its source, so an edited template is compiled again)."""
    import os

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefgen" / f"jinja-{__version__}"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(base))


def make_environment(template_dirs: Sequence[Path]) -> jinja2.Environment:
    """Jinja environment searching ``template_dirs`` in order (the user's first)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        bytecode_cache=_bytecode_cache(),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2", "svg.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Labels are looked up when rendered, in the language of the document being rendered
    # (briefgen.i18n.using), so one environment serves briefs in every language.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.globals.update(css_string=css_string, page_of_pages=page_of_pages)
    env.filters.update(
        md=markdown_to_html,
        md_inline=markdown_inline,
        with_inline=with_inline,
        money=format_money,
        signed=format_signed,
        date=format_date,
        number=format_number,
        percent=format_percent,
        window=format_window,
        isodate=iso_date,
        gist=gist,
    )
    return env


def css_string(text: str) -> Markup:
    """``text`` as a CSS string literal (for ``content:``), safe inside a <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return Markup(f'"{escaped}"')  # noqa: S704 - quotes, backslashes and < are escaped above


def page_of_pages() -> Markup:
    """The running "Page 3 of 9" as CSS ``content``, in the active language's word order."""
    text = i18n.gettext("Page %(page)s of %(pages)s")
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", text):
        if piece in counters:
            parts.append(counters[piece])
        elif piece:
            parts.append(str(css_string(piece)))
    return Markup(" ".join(parts))  # noqa: S704 - CSS strings made by css_string and counter()s


def template_location(exc: BaseException, env: jinja2.Environment) -> tuple[str, int | None]:
    """The deepest template frame of a render-time error (Jinja rewrites tracebacks so
    template frames carry the template's file name and line)."""
    searchpath = [Path(p).resolve() for p in getattr(env.loader, "searchpath", [])]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if any(path.is_relative_to(p) for p in searchpath):
            return str(path), frame.lineno
    return "<template>", None


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render a page template, turning any failure into a TemplateError with file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            exc.filename or exc.name or "<template>", exc.lineno, exc.message or "syntax error"
        ) from exc
    except jinja2.TemplateNotFound as exc:
        searched = ", ".join(getattr(env.loader, "searchpath", []))
        raise TemplateError(str(exc.name), None, f"template {exc.name!r} not found in {searched}") from exc
    except Exception as exc:  # a user's template can raise anything at render time
        file, line = template_location(exc, env)
        raise TemplateError(file, line, f"{type(exc).__name__}: {exc}") from exc
