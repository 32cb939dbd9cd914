"""The webhook channel against a real HTTP server on loopback: the fault matrix (500, 429
with Retry-After, 4xx, timeout, a drop after the request arrived, nobody listening), counted
per request, and the ledger's once-per-destination through ``send``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.deliver.channel import DeliveryError, Envelope
from briefgen.deliver.send import send
from briefgen.deliver.webhook import WebhookTransport, encode, payload, summarise

from ..conftest import SEED, Built
from ..hookserver import HookServer
from ..mailserver import free_port
from .test_deliver import SEED_ID, mail_workspace

BODY = b'{"text": "hello"}'


def post(server_url: str, *, retries: int = 2, timeout: float = 0.5) -> tuple[WebhookTransport, list[float], str]:
    waits: list[float] = []
    transport = WebhookTransport(
        server_url, name="desk", timeout=timeout, retries=retries, backoff=0.01, sleep=waits.append
    )
    reply = transport.deliver(Envelope("", "webhook:desk", "brief-1"), BODY, lambda: None)
    return transport, waits, reply


# (script, expected outcome, requests the server saw)
MATRIX = [
    ([], "sent", 1),
    ([500], "sent", 2),
    ([500, 502, 503], "transient", 3),  # retries=2: three attempts, then the next run
    (["429:3"], "sent", 2),
    ([400], "permanent", 1),
    ([404], "permanent", 1),
    (["timeout"], "uncertain", 1),
    (["drop"], "uncertain", 1),
]


@pytest.mark.parametrize(("script", "expected", "count"), MATRIX, ids=[str(m[0]) for m in MATRIX])
def test_fault_matrix(script: list[str | int], expected: str, count: int) -> None:
    with HookServer(list(script)) as server:
        try:
            _transport, _waits, reply = post(server.url)
            outcome = "sent"
            assert reply.startswith("200")
        except DeliveryError as exc:
            outcome = exc.kind
            assert "SECRET-TOKEN" not in exc.detail and "abcdef123456" not in exc.detail
        assert outcome == expected
        assert len(server.requests) == count
        # Every attempt carries the same idempotency key: a receiver that honours it acts once.
        assert len({r.headers["Idempotency-Key"] for r in server.requests}) == 1
        assert all(r.body == BODY for r in server.requests)


def test_retry_after_is_honoured_and_capped() -> None:
    with HookServer(["429:3", 503, "429:100000"]) as server:
        _transport, waits, _reply = post(server.url, retries=3)
    assert waits == [3.0, 0.02, 120.0]  # Retry-After, back-off (0.01 * 2**1), the cap


def test_nobody_listening_is_transient_and_names_no_secret() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/SECRET-TOKEN-1234"
    with pytest.raises(DeliveryError) as caught:
        post(url, retries=1)
    assert caught.value.kind == "transient"
    assert "SECRET-TOKEN" not in str(caught.value)


def test_payloads_carry_title_bottom_line_judgments_and_link() -> None:
    from briefgen.facts.load import load_brief

    brief = load_brief(SEED).brief
    summary = summarise(brief, "https://archive.example.org/public/x.html")
    teams = payload("teams", summary)
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["actions"][0]["url"].endswith("/public/x.html")
    slack = payload("slack", summary)
    assert slack["blocks"][0]["type"] == "header" and brief.brief.title[:20] in slack["blocks"][0]["text"]["text"]
    plain = payload("json", summary)
    assert plain["key_judgments"] and plain["key_judgments"][0]["estimate"]
    assert encode(plain).decode().count(brief.key_judgments[0].text[:30]) == 1


def test_send_posts_once_per_destination_and_keeps_the_url_secret(tmp_path: Path, built_examples: Built) -> None:
    with HookServer(["drop"]) as teams, HookServer([500]) as slack:
        hooks = (
            '\n[[webhooks]]\nname = "desk-teams"\nkind = "teams"\nurl_env = "TEAMS_URL"\ntimeout = 0.5\n'
            '\n[[webhooks]]\nname = "desk-slack"\nkind = "slack"\nurl_file = "slack.url"\n'
            'groups = ["desk-south-asia"]\n'
        )
        root = mail_workspace(tmp_path / "ws", built_examples, smtp=hooks)
        (root / "slack.url").write_text(slack.url + "\n", encoding="utf-8")
        environ = {"TEAMS_URL": teams.url}
        config = load_config(root)
        first = send([SEED_ID], config, environ=environ, sleep=lambda _s: None)
        hooks_out = {d.recipient: d for d in first.deliveries if d.recipient.startswith("webhook:")}
        assert hooks_out["webhook:desk-slack"].outcome == "sent"
        assert hooks_out["webhook:desk-teams"].outcome == "uncertain"  # dropped after it arrived: not re-posted
        again = send([SEED_ID], config, environ=environ, sleep=lambda _s: None)
        hooks_again = {d.recipient: d.outcome for d in again.deliveries if d.recipient.startswith("webhook:")}
        assert hooks_again == {"webhook:desk-slack": "delivered", "webhook:desk-teams": "uncertain"}
        assert len(slack.requests) == 2 and len(teams.requests) == 1  # one 500 retried; nothing twice
        assert slack.requests[-1].json()["blocks"][0]["type"] == "header"
    text = "\n".join(f"{d.detail} {d.recipient}" for d in [*first.deliveries, *again.deliveries])
    dump = (
        "\n".join(sqlite3.connect(root / ".briefgen" / "state.db").iterdump())
        if (root / ".briefgen" / "state.db").exists()
        else ""
    )
    for secret in ("SECRET-TOKEN-1234", "abcdef123456"):
        assert secret not in text
        assert secret not in dump
