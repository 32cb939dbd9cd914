"""The schedule sends editions per audience: the approvers get one "FOR APPROVAL" message per
variant and approve them together, each recipient then gets their level's variant, and the
edition is posted to the webhooks once, as the hook's audience may see it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

from briefgen import load_config
from briefgen.schedule.approval import approve
from briefgen.schedule.tick import tick

from ..hookserver import HookServer
from .test_schedule_e2e import _event

SECRET = "ZEBRA-CANARY"
CONFIG = """\
[build]
formats = ["html"]

[release]
groups = { leadership = "internal", editors = "internal" }

[[webhooks]]
name = "press"
kind = "json"
url_env = "PRESS_URL"

[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
timezone = "UTC"
groups = ["leadership", "press"]
approval = true
approvers = ["editors"]

[[stakeholders]]
name = "Asha Rao"
email = "asha@example.org"
groups = ["leadership"]
format = "html"

[[stakeholders]]
name = "Pat Public"
email = "pat@example.org"
groups = ["press"]
format = "html"

[[stakeholders]]
name = "Eda Editor"
email = "eda@example.org"
groups = ["editors"]
format = "html"
"""
MONDAY = dt.datetime(2021, 12, 13, 7, 0, 30, tzinfo=ZoneInfo("UTC"))
INTERNAL = f"""  - {{text: "{SECRET}: the desk expects a quiet follow-up.", likelihood: likely, sources: [wire],
     release: internal}}
"""


def body(path: Path) -> str:
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    return "\n".join(str(p.get_content()) for p in mail.walk() if p.get_content_type().startswith("text/"))


def test_the_schedule_sends_each_audience_its_variant_and_posts_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "inputs").mkdir()
    text = _event("harbour-talks", "Harbour talks", dt.date(2021, 12, 8))
    text = text.replace("sources: [wire]}\nevent:", "sources: [wire]}\n" + INTERNAL + "event:")
    assert SECRET in text
    (tmp_path / "inputs" / "one.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path)
    outbox = tmp_path / "output" / "outbox"
    with HookServer([500]) as press:
        monkeypatch.setenv("PRESS_URL", press.url)
        (waiting,) = tick(config, MONDAY).actions
        assert waiting.outcome is not None and waiting.outcome.detail.startswith("awaiting approval")
        asked = {p.parent.name: body(p) for p in outbox.glob("edition-2021-w49.test-*/eda@example.org.eml")}
        assert set(asked) == {"edition-2021-w49.test-public", "edition-2021-w49.test-internal"}
        assert SECRET in asked["edition-2021-w49.test-internal"] and SECRET not in asked["edition-2021-w49.test-public"]
        assert not press.requests  # nothing posted before approval

        approve(config, "2021-W49", "eda")  # one approval, for every variant
        (sent,) = tick(config, MONDAY + dt.timedelta(minutes=1), force=True, rerun=True).actions
        assert sent.outcome is not None and sent.outcome.status == "sent", sent.outcome
        requests = list(press.requests)
    assert SECRET in body(outbox / "edition-2021-w49" / "asha@example.org.eml")
    assert SECRET not in body(outbox / "edition-2021-w49" / "pat@example.org.eml")
    assert len(requests) == 2  # one 500, one accepted
    assert SECRET not in requests[-1].body.decode() and json.loads(requests[-1].body)["key_judgments"]
    with sqlite3.connect(tmp_path / ".briefgen" / "state.db") as db:
        rows = dict(db.execute("SELECT recipient, status FROM deliveries WHERE brief_id = 'edition-2021-w49'"))
    assert rows == {"asha@example.org": "sent", "pat@example.org": "sent", "webhook:press": "sent"}
