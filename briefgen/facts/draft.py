"""A draft brief from an article: one source filled from its metadata, and candidate facts.

The draft is a valid input marked ``draft: true``; its candidates are never rendered. Each one
carries evidence (a few of the source's words and where they are), so whatever the analyst
turns into a fact keeps its pin to the text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from briefgen.facts.article import Article
from briefgen.facts.extract import Candidate, KnownName, NameMatcher, extract, split_sentences
from briefgen.facts.library import Library

__all__ = ["DraftResult", "known_names_in", "library_names", "make_draft", "slug"]

QUOTE_WORDS = 12


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "article"


def library_names(library: Library) -> Iterator[KnownName]:
    """Every name the fact library knows: actors by name and alias (and the countries they
    belong to), authorities by short title, full instrument and acronym. Ids are the library's,
    so a candidate names the entry a brief would refer to."""
    countries: dict[str, None] = {}
    for actor in library.actors.values():
        names = [actor.name, *actor.aliases]
        if short := re.sub(r"\s*\([^)]*\)", "", actor.name).strip():
            names.append(short)  # "Office of Foreign Assets Control (US Treasury)" is written without its gloss
        if actor.kind == "person" and len(surname := actor.name.split()[-1]) > 3:
            names.append(surname)  # "President Putin": news names a person by surname after the first mention
        yield KnownName(actor.id, "actor", tuple(dict.fromkeys(names)))
        if actor.country:
            countries.setdefault(actor.country)
    for authority in library.authorities.values():
        names = [authority.title, authority.instrument]
        names.append(re.sub(r"\s*\([^)]*\)", "", authority.instrument).strip())
        names += re.findall(r"\b[A-Z]{3,}\b", authority.title)  # "CAATSA section 231" is also "CAATSA"
        yield KnownName(authority.id, "authority", tuple(dict.fromkeys(n for n in names if n)))
    for country in countries:
        yield KnownName(slug(country), "actor", (country,))


def known_names_in(files: Iterable[Path]) -> Iterator[KnownName]:
    """Names the workspace's facts already use: sources' publishers, participants and their
    countries, parties, authorities and targets. Read leniently: a broken file names nothing."""
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict):
            continue
        for source in data.get("sources") or []:
            if isinstance(source, dict) and isinstance(source.get("publisher"), str):
                yield KnownName(str(source.get("id")), "source", (source["publisher"],))
        people: list[Any] = []
        event = data.get("event")
        event = event if isinstance(event, dict) else {}
        people += event.get("participants") or []
        for fmt in event.get("formats") or []:
            if isinstance(fmt, dict):
                people += fmt.get("participants") or []
        for person in people:
            if not isinstance(person, dict):
                continue
            if isinstance(person.get("name"), str):
                yield KnownName(slug(person["name"]), "actor", (person["name"], person["name"].split()[-1]))
            if isinstance(person.get("affiliation"), str):
                yield KnownName(slug(person["affiliation"]), "actor", (person["affiliation"],))
        for agreement in data.get("agreements") or []:
            if isinstance(agreement, dict):
                for party in agreement.get("parties") or []:
                    if isinstance(party, str):
                        yield KnownName(slug(party), "actor", (party,))
        risk = data.get("sanction_risk")
        if isinstance(risk, dict):
            for key in ("regime", "authority"):
                if isinstance(risk.get(key), str):
                    names = [risk[key]]
                    if acronym := re.search(r"\(([A-Z]{3,})\)", risk[key]):
                        names.append(acronym.group(1))
                    yield KnownName(slug(risk[key]), "authority", tuple(names))
            for key in ("target", "counterparty"):
                if isinstance(risk.get(key), str):
                    yield KnownName(slug(risk[key]), "actor", (risk[key],))
            for precedent in risk.get("precedents") or []:
                if isinstance(precedent, dict) and isinstance(precedent.get("target"), str):
                    yield KnownName(slug(precedent["target"]), "actor", (precedent["target"],))


def _quote(text: str, candidate: Candidate, start: int, end: int) -> str:
    """A few words around the candidate, within its sentence, exactly as the text has them."""
    inner = len(text[candidate.start : candidate.end].split())
    room = max(0, QUOTE_WORDS - inner)
    left = [m.start() for m in re.finditer(r"\S+", text[start : candidate.start])]
    right = [m.end() for m in re.finditer(r"\S+", text[candidate.end : end])]
    take_left = min(len(left), room // 2)
    take_right = min(len(right), room - take_left)
    begin = start + left[-take_left] if take_left else candidate.start
    stop = candidate.end + right[take_right - 1] if take_right else candidate.end
    return " ".join(text[begin:stop].split())


class DraftResult:
    def __init__(self, data: dict[str, Any], candidates: list[Candidate]) -> None:
        self.data = data
        self.candidates = candidates

    def counts(self) -> Counter[str]:
        return Counter(c.kind for c in self.candidates)

    def yaml(self) -> str:
        head = (
            "# A draft written by `briefgen draft`: turn each candidate into a fact (or delete it),\n"
            "# then remove `draft: true`. `briefgen lint` lists what is still to confirm.\n"
        )
        # libyaml's emitter when present: the pure-Python one takes most of a second here.
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return head + yaml.dump(self.data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110)


def make_draft(
    article: Article,
    *,
    source_id: str,
    brief_id: str,
    today: dt.date,
    known: Iterable[KnownName] = (),
    publisher: str | None = None,
) -> DraftResult:
    """The draft input for ``article``; offsets refer to ``article.text``."""
    text = article.text
    candidates = extract(text, article.date, NameMatcher(known))
    sentences = {s.number: s for s in split_sentences(text)}
    source: dict[str, Any] = {
        "id": source_id,
        "publisher": publisher or article.publisher or "to confirm",
        "title": article.title or "to confirm",
    }
    if article.author:
        source["author"] = article.author
    if article.url:
        source["url"] = article.url
    if article.date:
        source["published"] = article.date.isoformat()
    source["accessed"] = today.isoformat()
    source["language"] = article.language or "en"
    source["kind"] = "news"
    items = []
    for candidate in candidates:
        item = candidate.as_dict()
        sentence = sentences[candidate.sentence]
        if candidate.kind == "sentence":
            # Its opening words only: the offsets find the whole sentence in the saved text,
            # and a draft full of whole sentences would be a copy of the publisher's article.
            words = candidate.text.split()
            quote = " ".join(words[:QUOTE_WORDS])
            item["text"] = quote + (" …" if len(words) > QUOTE_WORDS else "")
        else:
            quote = _quote(text, candidate, sentence.start, sentence.end)
        item["evidence"] = {
            "source": source_id,
            "quote": quote,
            "locator": f"para. {candidate.paragraph}, sentence {candidate.sentence}",
        }
        items.append(item)
    data: dict[str, Any] = {
        "brief": {
            "id": brief_id,
            "title": f"Draft: {article.title or source_id}",
            "date": max(today, article.date or today).isoformat(),
            "author": "to confirm",
            "draft": True,
        },
        "sources": [source],
        "candidates": items,
    }
    return DraftResult(data, candidates)
