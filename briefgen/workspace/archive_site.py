"""``briefgen archive``: a static site of what went out, built from the archive's copies.

One folder per audience (release level): its documents by date, each the exact HTML and PDF
that audience was sent, a full-text search, and an Atom feed. Built only from the archived
bytes, never from ``inputs/``, so editing a brief later changes nothing here.

The search is an index of our own rather than Pagefind: a few dozen documents a year make an
index of some hundred kilobytes that a page can hold inline, which works from ``file://``
and from ``briefgen serve`` alike, with no binary to ship or run.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.config import Config
from briefgen.deliver.archive import Archive, Kept
from briefgen.state.url import parse_url

__all__ = ["SiteReport", "build_site"]


@dataclass
class Item:
    document: str
    title: str
    day: str
    variant: str
    html: str
    pdf: str | None
    first_sent: float
    recipients: set[str] = field(default_factory=set)

    @property
    def stem(self) -> str:
        return f"{self.day}-{self.document}-{self.html[:8]}"


@dataclass
class SiteReport:
    folder: Path
    documents: int
    variants: list[str]
    size: int
    #: Messages archived before their hand-over whose outcome no run has settled yet (not listed).
    pending: int = 0


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def page_text(page: str) -> str:
    """The words of an archived page, for the search index."""
    return " ".join(html.unescape(_TAGS.sub(" ", page)).split())


def _items(entries: Sequence[Kept]) -> list[Item]:
    items: dict[tuple[str, str, str], Item] = {}
    for kept in entries:
        if kept.html is None:
            continue
        key = (kept.document, kept.variant, kept.html)
        item = items.setdefault(
            key, Item(kept.document, kept.title, kept.day, kept.variant, kept.html, kept.pdf, kept.delivered_at)
        )
        item.recipients.add(kept.recipient)
        item.first_sent = min(item.first_sent, kept.delivered_at)
    return sorted(items.values(), key=lambda i: (i.day, i.first_sent), reverse=True)


_STYLE = """body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
li{margin:.6rem 0}.muted{color:#666;font-size:.9rem}input{font-size:1rem;padding:.4rem;width:100%}
mark{background:#fde68a}"""

_SEARCH = """const index=JSON.parse(document.getElementById('index').textContent);
const box=document.getElementById('q'),out=document.getElementById('results'),all=document.getElementById('all');
function esc(s){return s.replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));}
box.addEventListener('input',()=>{const terms=box.value.toLowerCase().split(/\\s+/).filter(Boolean);
out.innerHTML='';all.hidden=terms.length>0;if(!terms.length)return;
const hits=index.filter(d=>terms.every(t=>d.x.includes(t)));
out.innerHTML=hits.length?hits.map(d=>{const at=d.x.indexOf(terms[0]);
const snip=d.x.slice(Math.max(0,at-60),at+100);
return '<li class="hit"><a href="'+esc(d.u)+'">'+esc(d.t)+'</a> <span class="muted">'+esc(d.d)
+'</span><br><span class="muted">…'+esc(snip)+'…</span></li>';}).join('')
:'<li>No document mentions that.</li>';});"""


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )


def _atom(variant: str, items: Sequence[Item], base: str) -> str:
    def stamp(seconds: float) -> str:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    updated = stamp(max((i.first_sent for i in items), default=0.0))
    entries = "".join(
        f"<entry><id>urn:sha256:{i.html}</id><title>{html.escape(i.title)}</title><updated>{stamp(i.first_sent)}</updated>"
        f'<link href="{html.escape(base)}{i.stem}.html"/><summary>Sent {i.day} to {len(i.recipients)} '
        f"recipient(s).</summary></entry>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:briefgen:archive:{variant}</id><title>Briefs sent: {html.escape(variant)}</title>"
        f'<updated>{updated}</updated><link rel="self" href="{html.escape(base)}feed.xml"/>{entries}</feed>\n'
    )


def build_site(config: Config, out: Path | None = None, levels: Sequence[str] = ()) -> SiteReport:
    """Write the archive site to ``out`` (default ``output/archive``): whole or not at all."""
    out = out or config.output_dir / "archive"
    with Archive.of_workspace(config.root, parse_url(config.state.url, config.root)) as archive:
        # Only what is known to have gone: a pending row is a message whose outcome is not recorded yet.
        items = [i for i in _items(archive.entries("delivered")) if not levels or i.variant in levels]
        pending = archive.pending()
        staging = out.with_name(out.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        variants = sorted({i.variant for i in items})
        for variant in variants:
            mine = [i for i in items if i.variant == variant]
            folder = staging / variant
            folder.mkdir()
            index = []
            rows = []
            latest: set[str] = set()
            for item in mine:
                page = archive.get(item.html)
                (folder / f"{item.stem}.html").write_bytes(page)
                if item.document not in latest:  # the newest version also under a stable name: webhook posts link it
                    latest.add(item.document)
                    (folder / f"{item.document}.html").write_bytes(page)
                pdf = ""
                if item.pdf:
                    (folder / f"{item.stem}.pdf").write_bytes(archive.get(item.pdf))
                    pdf = f' · <a href="{item.stem}.pdf">PDF</a>'
                text = page_text(page.decode("utf-8", "replace"))
                index.append({"t": item.title, "d": item.day, "u": f"{item.stem}.html", "x": text.lower()})
                rows.append(
                    f'<li><a href="{item.stem}.html">{html.escape(item.title)}</a>{pdf}<br>'
                    f'<span class="muted">{item.day} · sent to {len(item.recipients)} recipient(s) · '
                    f"sha256 {item.html[:12]}</span></li>"
                )
            data = json.dumps(index, ensure_ascii=False).replace("</", "<\\/")
            body = (
                f"<h1>Briefs sent: {html.escape(variant)}</h1>"
                '<p class="muted">Exactly what this audience received, newest first. '
                '<a href="feed.xml">Atom feed</a></p>'
                '<input id="q" type="search" placeholder="Search the archive" autofocus>'
                f'<ul id="results"></ul><ul id="all">{"".join(rows)}</ul>'
                f'<script type="application/json" id="index">{data}</script><script>{_SEARCH}</script>'
            )
            (folder / "index.html").write_text(_page(f"Archive: {variant}", body), encoding="utf-8")
            base = f"{config.archive.url.rstrip('/')}/{variant}/" if config.archive.url else ""
            (folder / "feed.xml").write_text(_atom(variant, mine, base), encoding="utf-8")
        links = "".join(
            f'<li><a href="{v}/index.html">{html.escape(v)}</a> '
            f'<span class="muted">{sum(i.variant == v for i in items)} document(s)</span></li>'
            for v in variants
        )
        (staging / "index.html").write_text(
            _page("Archive", f"<h1>Archive of what went out</h1><ul>{links or '<li>Nothing sent yet.</li>'}</ul>"),
            encoding="utf-8",
        )
    size = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return SiteReport(out, len(items), variants, size, pending)
