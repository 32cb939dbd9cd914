"""Editions per audience end to end: a weekly edition holding an internal source, an internal
judgment, an internal agreement and a partners-only item goes to every level as its own
variant, and the internal material appears in none of the places a public reader (or their
mail program, feed reader or chat channel) could find it. Also: test-sends one per variant,
webhook posts of editions once per destination through the ledger, with faults."""

from __future__ import annotations

import io
import json
import sqlite3
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from briefgen import load_config
from briefgen.builds.editions import build_edition
from briefgen.deliver.report import SendReport
from briefgen.deliver.send import send_edition
from briefgen.facts.archive import EDITION_FACTS_NAME

from ..analysis.test_variants import PARTNER, SECRET, marked_facts
from ..conftest import DATA, copy_library, make_workspace
from ..hookserver import HookServer

DOCUMENT = "edition-2021-w49"
SOURCE_SECRET = f"Northgate desk {SECRET}"  # the internal source's publisher
CONFIG = """
[build]
formats = ["html"]
pdf_standard = "a-3b"

[archive]
url = "https://archive.example.org"

[release]
ladder = ["public", "partners", "internal"]
groups = { leadership = "internal", partners = "partners" }
banners = { public = "PUBLIC RELEASE" }

[[webhooks]]
name = "press-json"
kind = "json"
url_env = "PRESS_URL"
release = "public"

[[webhooks]]
name = "desk-teams"
kind = "teams"
url_env = "DESK_URL"
release = "internal"
timeout = 0.5
"""
STAKEHOLDERS = """stakeholders:
  - {name: Asha Rao, email: asha@example.org, groups: [leadership], format: html}
  - {name: Pia Partner, email: pia@example.org, groups: [partners], format: html}
  - {name: Pat Public, email: pat@example.org, groups: [press], format: both}
  - {name: Quinn Public, email: quinn@example.org, format: html}
"""


def marked_edition_facts() -> dict[str, Any]:
    """The marked seed brief, with an internal agreement too (so the internal "what changed" has it)."""
    data = marked_facts()
    data["agreements"].append(
        {
            "title": f"Side letter {SECRET}",
            "kind": "side letter",
            "parties": ["India", "Russia"],
            "status": "agreed",
            "sources": ["desk-cable"],
            "release": "internal",
        }
    )
    return data


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Week 48 (an unmarked brief) then week 49 (the marked one) sent to every level, posted to
    a public JSON hook (one 500 first) and an internal Teams hook (connection dropped after
    the request arrived), sent again, test-sent, and archived. One PDF (the public variant)."""
    from briefgen.workspace.archive_site import build_site

    root = make_workspace(tmp_path_factory.mktemp("edition-variants"))
    copy_library(root)
    week48 = yaml.safe_load((DATA / "minimal.yaml").read_text(encoding="utf-8"))
    week48["brief"]["date"] = week48["event"]["date"] = "2021-12-01"
    (root / "inputs" / "week48.yaml").write_text(yaml.safe_dump(week48, sort_keys=False), encoding="utf-8")
    (root / "inputs" / "seed.yaml").write_text(
        yaml.safe_dump(marked_edition_facts(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (root / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    (root / "stakeholders.yaml").write_text(STAKEHOLDERS, encoding="utf-8")
    config = load_config(root)
    build_edition("2021-W48", config)
    edition = build_edition("2021-W49", config)
    with HookServer([500]) as press, HookServer(["drop"]) as desk:
        environ = {"PRESS_URL": press.url, "DESK_URL": desk.url}
        first = send_edition(edition, config, environ=environ, sleep=lambda _s: None)
        again = send_edition(edition, config, environ=environ, sleep=lambda _s: None)
        press_requests, desk_requests = list(press.requests), list(desk.requests)
    tested = send_edition(edition, config, environ={}, test_to=["me@example.org"])
    site = build_site(config)
    return {
        "root": root, "first": first, "again": again, "tested": tested, "site": site,
        "press": press_requests, "desk": desk_requests,
    }  # fmt: skip


def message(root: Path, folder: str, address: str) -> EmailMessage:
    path = root / "output" / "outbox" / folder / f"{address}.eml"
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def places(mail: EmailMessage) -> dict[str, str]:
    """Every place a reader (or their mail program) can find text in one message."""
    found = {"subject": str(mail["Subject"]), "headers": "\n".join(f"{k}: {v}" for k, v in mail.items())}
    for part in mail.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            found[f"body {kind}"] = part.get_content()
        elif kind == "application/pdf":
            reader = PdfReader(io.BytesIO(part.get_payload(decode=True)))
            found["pdf text"] = "\n".join(page.extract_text() for page in reader.pages)
            found["pdf metadata"] = repr(dict(reader.metadata or {}))
            found["pdf metadata (XMP)"] = repr(reader.xmp_metadata.stream.get_data() if reader.xmp_metadata else b"")
            files = reader.attachments
            found["pdf attachment names"] = ", ".join(files)
            found["pdf embedded facts"] = "\n".join(b.decode() for name in files for b in files[name])
    return found


def changes_section(html: str) -> str:
    start = html.index('id="changes"')
    return html[start : html.index("</section>", start)]


def test_each_recipient_gets_their_levels_variant_and_the_ledger_says_which(sent: dict[str, Any]) -> None:
    first: SendReport = sent["first"]
    mail = {d.recipient: d for d in first.deliveries if "@" in d.recipient}
    assert {r: (d.outcome, d.variant) for r, d in mail.items()} == {
        "asha@example.org": ("sent", "internal"),
        "pia@example.org": ("sent", "partners"),
        "pat@example.org": ("sent", "public"),
        "quinn@example.org": ("sent", "public"),
    }
    with sqlite3.connect(sent["root"] / ".briefgen" / "state.db") as db:
        rows = dict(db.execute("SELECT recipient, detail FROM deliveries WHERE brief_id = ?", (DOCUMENT,)).fetchall())
    assert rows["pat@example.org"].startswith("variant public:")
    assert rows["pia@example.org"].startswith("variant partners:")
    assert rows["asha@example.org"].startswith("variant internal:")
    again: SendReport = sent["again"]
    assert {d.outcome for d in again.deliveries if "@" in d.recipient} == {"delivered"}  # exactly once
    variants = sent["root"] / "output" / "variants"
    internal = (variants / "internal" / "editions" / "2021-W49.html").read_text(encoding="utf-8")
    partners = (variants / "partners" / "editions" / "2021-W49.html").read_text(encoding="utf-8")
    assert SECRET in internal and SECRET in changes_section(internal)  # the desk hears of the side letter
    assert PARTNER in partners and SECRET not in partners
    assert "PUBLIC RELEASE" in places(message(sent["root"], DOCUMENT, "pat@example.org"))["pdf text"]


def test_no_internal_fact_or_source_anywhere_in_the_public_edition(sent: dict[str, Any]) -> None:
    """The leak test for editions; counts the places it looked."""
    root: Path = sent["root"]
    checked: dict[str, str] = {}
    for address in ("pat@example.org", "quinn@example.org"):
        for where, text in places(message(root, DOCUMENT, address)).items():
            checked[f"{address} {where}"] = text
    for where, text in places(message(root, f"{DOCUMENT}.test-public", "me@example.org")).items():
        checked[f"test-send {where}"] = text
    folder = root / "output" / "variants" / "public" / "editions"
    html = (folder / "2021-W49.html").read_text(encoding="utf-8")
    checked["edition html"] = html
    checked["what changed"] = changes_section(html)
    checked["what-changed snapshot"] = (folder / "2021-W49.json").read_text(encoding="utf-8")
    press = [r for r in sent["press"] if r.body]
    checked["webhook payload"] = "\n".join(r.body.decode() for r in press)
    site = sent["site"].folder / "public"
    for path in sorted(site.iterdir()):
        checked[f"archive site {path.name}"] = path.read_text(encoding="utf-8", errors="replace")
    assert any(name.startswith("archive site ") and name.endswith("index.html") for name in checked)  # search index

    for where, text in checked.items():
        for marker in (SECRET, SOURCE_SECRET, PARTNER, "desk-cable"):
            assert marker.lower() not in text.lower(), f"{marker} leaked into the public edition's {where}"
    kinds = {name.split(" ", 1)[1] if "@" in name else name for name in checked}
    assert {
        "subject", "headers", "body text/plain", "body text/html", "pdf text", "pdf metadata",
        "pdf metadata (XMP)", "pdf embedded facts", "what changed", "webhook payload",
    } <= kinds  # fmt: skip
    assert checked["pat@example.org pdf attachment names"] == EDITION_FACTS_NAME
    facts = json.loads(checked["pat@example.org pdf embedded facts"])
    assert facts["edition"] == "2021-W49" and [b["brief"]["id"] for b in facts["briefs"]] == [
        "india-russia-summit-2021-12"
    ]  # the variant's facts, not none at all
    assert "Summit" in checked["what changed"] or "summit" in checked["what changed"].lower()
    print(f"\nedition leak test: {len(checked)} places checked ({len(kinds)} kinds)")


def test_edition_webhooks_post_once_per_destination_with_the_audiences_variant(sent: dict[str, Any]) -> None:
    first, again = sent["first"], sent["again"]
    hooks = {d.recipient: d for d in first.deliveries if d.recipient.startswith("webhook:")}
    assert hooks["webhook:press-json"].outcome == "sent" and hooks["webhook:press-json"].variant == "public"
    assert hooks["webhook:desk-teams"].outcome == "uncertain"  # dropped after it arrived: not posted again
    later = {d.recipient: d.outcome for d in again.deliveries if d.recipient.startswith("webhook:")}
    assert later == {"webhook:press-json": "delivered", "webhook:desk-teams": "uncertain"}
    press, desk = sent["press"], sent["desk"]
    assert [len(press), len(desk)] == [2, 1]  # the 500 retried once: exactly one accepted post each
    assert press[0].headers["Idempotency-Key"] == press[1].headers["Idempotency-Key"]
    body = press[-1].json()
    assert body["title"].startswith("Weekly") or "2021" in body["title"]
    assert "1 event(s)" in body["bottom_line"]
    assert body["key_judgments"] and all(j["estimate"] for j in body["key_judgments"])
    assert body["link"] == f"https://archive.example.org/public/{DOCUMENT}.html"
    assert body["marking"] == "PUBLIC RELEASE"
    card = json.dumps(desk[0].json())
    assert SECRET in card  # the internal channel gets the internal variant's judgments
    # the link resolves: the archive site keeps the newest of each document under its id
    assert (sent["site"].folder / "public" / f"{DOCUMENT}.html").is_file()


def test_test_send_sends_one_message_per_edition_variant(sent: dict[str, Any]) -> None:
    tested: SendReport = sent["tested"]
    assert sorted((d.outcome, d.variant or "") for d in tested.deliveries) == [
        ("tested", "internal"), ("tested", "partners"), ("tested", "public"),
    ]  # fmt: skip
    assert all(d.subject.startswith("TEST: ") for d in tested.deliveries)
    internal = places(message(sent["root"], f"{DOCUMENT}.test-internal", "me@example.org"))
    assert SECRET in internal["body text/html"]


def test_the_archive_keeps_each_variant_and_shows_each_audience_only_its_own(sent: dict[str, Any]) -> None:
    site = sent["site"]
    assert {"public", "partners", "internal"} <= set(site.variants)
    internal = (site.folder / "internal" / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    partners = (site.folder / "partners" / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    assert SECRET in internal and PARTNER in partners and SECRET not in partners


def test_an_audience_that_may_see_nothing_of_the_week_gets_no_edition(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    data = yaml.safe_load((DATA / "minimal.yaml").read_text(encoding="utf-8"))
    data["brief"]["date"] = data["event"]["date"] = "2021-12-08"
    data["brief"]["release"] = "internal"
    (root / "inputs" / "desk.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (root / "briefgen.toml").write_text(
        '[build]\nformats = ["html"]\n[editions]\nempty = "skip"\n'
        '[release]\ngroups = { leadership = "internal", partners = "partners" }\n',
        encoding="utf-8",
    )
    (root / "stakeholders.yaml").write_text(STAKEHOLDERS, encoding="utf-8")
    config = load_config(root)
    report = send_edition(build_edition("2021-W49", config), config, environ={})
    outcomes = {d.recipient: (d.outcome, d.variant) for d in report.deliveries}
    assert outcomes == {
        "asha@example.org": ("sent", "internal"),
        "pia@example.org": ("withheld", "partners"),
        "pat@example.org": ("withheld", "public"),
        "quinn@example.org": ("withheld", "public"),
    }
    assert not (root / "output" / "outbox" / DOCUMENT / "pat@example.org.eml").exists()
