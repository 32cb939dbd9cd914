"""Variants end to end: every place a public recipient could see an internal fact or source
(PDF text, PDF metadata and attachments, HTML, the email's subject and body), through the
real outbox channel; and test-sends, one per variant, recorded nowhere."""

from __future__ import annotations

import io
import re
import sqlite3
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen import load_config
from briefgen.deliver.send import send

from ..analysis.test_variants import PARTNER, SECRET, write_marked
from ..conftest import copy_library, make_workspace

SEED_ID = "india-russia-summit-2021-12"
CONFIG = """
[release]
ladder = ["public", "partners", "internal"]
groups = { leadership = "internal", partners = "partners" }
banners = { public = "PUBLIC RELEASE" }
"""
STAKEHOLDERS = """stakeholders:
  - {name: Asha Rao, email: asha@example.org, groups: [leadership], format: both}
  - {name: Pia Partner, email: pia@example.org, groups: [partners], format: both}
  - {name: Pat Public, email: pat@example.org, groups: [press], format: both}
  - {name: Quinn Public, email: quinn@example.org, format: html}
"""


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("variants"))
    write_marked(root / "inputs")
    (root / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    (root / "stakeholders.yaml").write_text(STAKEHOLDERS, encoding="utf-8")
    report = send([SEED_ID], load_config(root), environ={})
    assert {d.recipient: d.variant for d in report.deliveries} == {
        "asha@example.org": "internal",
        "pia@example.org": "partners",
        "pat@example.org": "public",
        "quinn@example.org": "public",
    }
    assert all(d.outcome == "sent" for d in report.deliveries)
    return root


def message(root: Path, address: str) -> EmailMessage:
    path = root / "output" / "outbox" / SEED_ID / f"{address}.eml"
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def places(mail: EmailMessage) -> dict[str, str]:
    """Every place a reader (or their mail program) can find text in one message."""
    found = {"subject": str(mail["Subject"]), "headers": "\n".join(f"{k}: {v}" for k, v in mail.items())}
    for part in mail.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            found[kind] = part.get_content()
        elif kind == "application/pdf":
            reader = PdfReader(io.BytesIO(part.get_payload(decode=True)))
            found["pdf text"] = "\n".join(page.extract_text() for page in reader.pages)
            found["pdf metadata"] = repr(dict(reader.metadata or {}))
            found["pdf attachments"] = repr(reader.attachments)
    return found


def source_numbers(html: str) -> list[int]:
    """The numbers of the sources list, in the order they are printed."""
    return [int(n) for n in re.findall(r'<li id="src-\d+" value="(\d+)"', html)]


def test_public_recipients_see_no_internal_or_partner_material(sent: Path) -> None:
    for address in ("pat@example.org", "quinn@example.org"):
        seen = places(message(sent, address))
        assert {"subject", "text/plain", "text/html"} <= set(seen)
        for where, text in seen.items():
            for marker in (SECRET, PARTNER, "internal"):
                assert marker.lower() not in text.lower(), f"{marker} leaked into {address}'s {where}"
    public = places(message(sent, "pat@example.org"))
    assert "pdf text" in public and "PUBLIC RELEASE" in public["pdf text"]
    assert "withheld from this release" in " ".join(public["pdf text"].split())
    html = (sent / "output" / "variants" / "public" / f"{SEED_ID}.html").read_text(encoding="utf-8")
    assert SECRET not in html and PARTNER not in html
    numbers = source_numbers(html)
    assert len(numbers) > 10 and numbers == list(
        range(1, len(numbers) + 1)
    )  # numbered from 1 with no gap where one was withheld


def test_wider_variants_hold_what_their_audience_may_see(sent: Path) -> None:
    partner = places(message(sent, "pia@example.org"))
    assert PARTNER in partner["pdf text"] and SECRET not in partner["pdf text"] + partner["text/html"]
    internal = places(message(sent, "asha@example.org"))
    assert SECRET in internal["pdf text"] and SECRET in internal["text/html"]
    internal_html = (sent / "output" / "variants" / "internal" / f"{SEED_ID}.html").read_text(encoding="utf-8")
    public_html = (sent / "output" / "variants" / "public" / f"{SEED_ID}.html").read_text(encoding="utf-8")
    assert len(source_numbers(internal_html)) == len(source_numbers(public_html)) + 1  # the internal source


def test_the_ledger_records_which_variant_each_got(sent: Path) -> None:
    with sqlite3.connect(sent / ".briefgen" / "state.db") as db:
        rows = dict(db.execute("SELECT recipient, detail FROM deliveries").fetchall())
    assert rows["pat@example.org"].startswith("variant public:")
    assert rows["asha@example.org"].startswith("variant internal:")


def test_test_send_sends_one_message_per_variant_and_records_nothing(sent: Path) -> None:
    db = sent / ".briefgen" / "state.db"
    before = sqlite3.connect(db).execute("SELECT count(*) FROM deliveries").fetchone()
    report = send([SEED_ID], load_config(sent), environ={}, test_to="me@example.org")
    assert [d.outcome for d in report.deliveries] == ["tested"] * 3
    assert sorted(d.variant or "" for d in report.deliveries) == ["internal", "partners", "public"]
    assert all(d.subject.startswith("TEST: ") for d in report.deliveries)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM deliveries").fetchone() == before
    path = sent / "output" / "outbox" / f"{SEED_ID}.test-public" / "me@example.org.eml"
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert str(mail["Subject"]).startswith("TEST: ") and mail["X-Briefgen-Test"]
    assert all(SECRET not in text for text in places(mail).values())  # a test-send leaks no more than the real one


def test_an_embargo_holds_a_brief_back_whatever_triggers_it(tmp_path: Path) -> None:
    import datetime as dt

    import yaml

    from ..analysis.test_variants import marked_facts

    root = make_workspace(tmp_path)
    data = marked_facts()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    data["brief"]["not_before"] = later.isoformat()
    copy_library(root)
    (root / "inputs" / "embargoed.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (root / "stakeholders.yaml").write_text(STAKEHOLDERS, encoding="utf-8")
    report = send(None, load_config(root), environ={})
    assert {d.outcome for d in report.deliveries} == {"withheld"}
    assert all(d.detail.startswith("embargoed until ") for d in report.deliveries)
    assert not (root / "output" / "outbox").exists()
    assert not (root / "output" / "variants").exists()  # not even built
