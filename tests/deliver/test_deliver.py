"""``briefgen send`` against a real SMTP server on loopback (aiosmtpd): what arrives, and
that every recipient gets the brief exactly once through refusals, drops, crashes and
concurrent runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.deliver.send import deliveries, send

from ..conftest import SEED, Built, make_workspace, run_cli
from ..mailserver import PASSWORD, MailServer, free_port, self_signed_certificate, wait_for

SEED_ID = "india-russia-summit-2021-12"

#: name, address, format, groups
PEOPLE = [
    ("Asha Rao", "asha@example.org", "pdf", ["leadership", "desk-south-asia"]),
    ("Ben Okafor", "ben@example.org", "html", ["desk-south-asia"]),
    ("Chloé Dubois", "chloe@example.org", "both", ["leadership"]),
]
EVERYONE = sorted(p[1] for p in PEOPLE)


def many(count: int) -> list[tuple[str, str, str, list[str]]]:
    return [(f"Reader {i}", f"reader{i:03d}@example.org", "pdf", ["readers"]) for i in range(count)]


def mail_workspace(
    root: Path,
    built: Built,
    *,
    smtp: str = "",
    people: list[tuple[str, str, str, list[str]]] = PEOPLE,
) -> Path:
    """A workspace with the seed brief, its fresh build, stakeholders and a [mail] section."""
    make_workspace(root, SEED)
    (root / "briefgen.toml").write_text(
        "[mail]\n"
        'sender = "Northgate Desk <desk@example.org>"\n'
        'reply_to = "analysts@example.org"\n'
        "retries = 2\nretry_delay = 0.01\ntimeout = 10\n" + smtp,
        encoding="utf-8",
    )
    lines = ["stakeholders:"]
    for name, address, fmt, groups in people:
        lines += [f"  - name: {json.dumps(name)}", f"    email: {address}", f"    format: {fmt}"]
        lines += [f"    groups: [{', '.join(groups)}]"]
    (root / "stakeholders.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The session's build of the seed, as a fresh build: newer than the input and the settings
    # (PDFs are slow to lay out; send reuses a fresh build).
    earlier = time.time() - 60
    for path in (root / "inputs" / SEED.name, root / "briefgen.toml", root / "stakeholders.yaml"):
        os.utime(path, (earlier, earlier))
    (root / "output").mkdir(exist_ok=True)
    for fmt in ("pdf", "html"):
        shutil.copy(built.path(SEED_ID, fmt), root / "output" / f"{SEED_ID}.{fmt}")
    return root


def plain_smtp(server: MailServer) -> str:
    return f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'


def run(workspace: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("environ", {})
    return send(config=load_config(workspace), **kwargs)  # type: ignore[arg-type]


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    return env | extra


def statuses(workspace: Path) -> dict[str, str]:
    return {e.key.recipient: e.status for e in deliveries(config=load_config(workspace))}


# --------------------------------------------------------------------------- what arrives


def test_each_recipient_gets_one_message_with_headers_parts_and_the_built_pdf(
    tmp_path: Path, built_examples: Built
) -> None:
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        report = run(workspace, briefs=[SEED_ID])
    assert not report.problems and report.count("sent") == 3 and report.built == []
    pdf = built_examples.path(SEED_ID, "pdf").read_bytes()
    assert sorted(r.rcpt_tos[0] for r in server.received) == [
        "asha@example.org",
        "ben@example.org",
        "chloe@example.org",
    ]
    assert all(len(r.rcpt_tos) == 1 and r.mail_from == "desk@example.org" for r in server.received)
    assert server.handler.connections == 1  # one connection serves the batch

    ids = set()
    for received in server.received:
        msg = received.message
        name, address, fmt, _groups = next(p for p in PEOPLE if p[1] == received.rcpt_tos[0])
        assert msg["To"].addresses[0].addr_spec == address and msg["To"].addresses[0].display_name == name
        assert str(msg["From"]) == "Northgate Desk <desk@example.org>"
        assert str(msg["Reply-To"]) == "analysts@example.org"
        assert msg["Subject"].startswith("India–Russia summit") and "8 December 2021" in msg["Subject"]
        assert abs(parsedate_to_datetime(msg["Date"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
        assert re.fullmatch(r"<[^<>@\s]+@example\.org>", msg["Message-ID"])
        ids.add(msg["Message-ID"])

        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert text.startswith(f"Dear {name},")
        assert f"Dear {name}," in html and "<script" not in html and "<link" not in html
        assert 'style="' in html and "var(--" not in html  # CSS inlined, variables resolved
        attachments = list(msg.iter_attachments())
        if fmt in ("pdf", "both"):
            (attachment,) = attachments
            assert attachment.get_content_type() == "application/pdf"
            assert attachment.get_filename() == f"{SEED_ID}.pdf"
            assert attachment.get_content() == pdf
        else:
            assert attachments == []
        if fmt == "pdf":  # a summary: the key judgments, not the whole brief
            assert "Washington will hold back" in text and "Washington will hold back" in html
            assert 'id="sources"' not in html and "KEY JUDGMENTS" in text
        else:  # the whole brief in the message
            assert 'id="sources"' in html and 'id="sanction-risk"' in html
    assert len(ids) == 3

    entries = deliveries(SEED_ID, config=load_config(workspace))
    assert {e.status for e in entries} == {"sent"} and all(e.detail.startswith("250") for e in entries)  # type: ignore[union-attr]
    assert {e.key.channel for e in entries} == {"smtp"}


def test_second_run_sends_nothing_and_resend_sends_again(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        run(workspace)
        again = run(workspace)
        assert len(server.received) == 3
        assert again.count("delivered") == 3 and again.count("sent") == 0 and not again.problems
        first_id = server.handler.to("asha@example.org")[0].message["Message-ID"]

        forced = run(workspace, to=["asha@example.org"], resend=True)
        assert forced.count("sent") == 1 and len(server.received) == 4
        second = server.handler.to("asha@example.org")[1].message
        assert second["Message-ID"] != first_id  # a deliberate second copy is a new message


def test_to_selects_groups_and_addresses(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        report = run(workspace, to=["leadership", "visitor@example.net"])
    assert sorted(r.rcpt_tos[0] for r in server.received) == [
        "asha@example.org",
        "chloe@example.org",
        "visitor@example.net",
    ]
    assert report.count("sent") == 3
    visitor = server.handler.to("visitor@example.net")[0].message
    assert visitor.get_body(("plain",)).get_content().startswith("Hello,")


def test_dry_run_sends_and_records_nothing(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        result = run_cli("send", "--dry-run", cwd=workspace, env=cli_env())
        assert result.returncode == 0, result.stderr
        assert server.received == [] and server.handler.connections == 0
    assert not (workspace / ".briefgen").exists()
    for _name, address, fmt, _groups in PEOPLE:
        assert re.search(rf"would send .*<{re.escape(address)}>  {fmt}: 'India–Russia summit", result.stdout)
    assert "3 to send" in result.stdout


# --------------------------------------------------------------------------- TLS and secrets


def test_starttls_and_auth_and_the_password_appears_nowhere(tmp_path: Path, built_examples: Built) -> None:
    cert, key = self_signed_certificate(tmp_path)
    workspace = tmp_path / "ws"
    with MailServer(tls=(cert, key)) as server:
        smtp = (
            f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "starttls"\n'
            f'username = "briefs@example.org"\nca_file = "{cert}"\n'
        )
        mail_workspace(workspace, built_examples, smtp=smtp)
        env = cli_env(BRIEFGEN_SMTP_PASSWORD=PASSWORD)
        sent = run_cli("send", cwd=workspace, env=env)
        listed = run_cli("deliveries", cwd=workspace, env=env)
        # A wrong password: a clear error, exit 1, and still no password anywhere.
        wrong = run_cli(
            "send", "--resend", "--to", "leadership", cwd=workspace, env=cli_env(BRIEFGEN_SMTP_PASSWORD=PASSWORD[::-1])
        )
    assert sent.returncode == 0, sent.stderr
    assert len(server.received) == 3
    assert all(r.tls and r.login == "briefs@example.org" for r in server.received)
    assert server.handler.logins[0] == ("briefs@example.org", PASSWORD)
    assert wrong.returncode == 1 and "authentication failed" in wrong.stderr
    assert "sent" in listed.stdout and "asha@example.org" in listed.stdout

    everything = [sent.stdout, sent.stderr, listed.stdout, listed.stderr, wrong.stdout, wrong.stderr]
    everything += [r.data.decode("ascii", "replace") for r in server.received]
    for path in (workspace / ".briefgen").rglob("*"):  # the ledger, its WAL and shared memory, the archive
        if path.is_file():
            everything.append(path.read_bytes().decode("latin-1"))
    for text in everything:
        assert PASSWORD not in text and PASSWORD[::-1] not in text


def test_implicit_tls_and_an_unverifiable_certificate(tmp_path: Path, built_examples: Built) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with MailServer(tls=(cert, key), implicit_tls=True) as server:
        smtp = f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "ssl"\nca_file = "{cert}"\n'
        workspace = mail_workspace(tmp_path / "ws", built_examples, smtp=smtp)
        report = run(workspace, to=["asha@example.org"])
        assert report.count("sent") == 1 and server.received[0].tls

        # Without the CA the certificate is refused: nothing is sent, the batch stops at once.
        (workspace / "briefgen.toml").write_text(
            (workspace / "briefgen.toml").read_text().replace(f'ca_file = "{cert}"\n', "")
        )
        refused = run(workspace)
    assert len(server.received) == 1
    assert [d.outcome for d in refused.deliveries] == ["delivered", "failed", "failed"]
    assert "certificate check failed" in refused.deliveries[1].detail
    assert refused.deliveries[2].detail.startswith("not sent: ")


def test_password_in_the_config_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    (tmp_path / "briefgen.toml").write_text(f'[mail]\nhost = "mail.example.org"\npassword = "{PASSWORD}"\n')
    result = run_cli("send", "--dry-run", cwd=tmp_path, env=cli_env())
    assert result.returncode == 2
    assert "never read from briefgen.toml" in result.stderr and PASSWORD not in result.stderr + result.stdout


def test_environment_overrides_the_file(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp='host = "mail.invalid"\nport = 1\n')
        env = {
            "BRIEFGEN_SMTP_HOST": "127.0.0.1",
            "BRIEFGEN_SMTP_PORT": str(server.port),
            "BRIEFGEN_SMTP_SECURITY": "none",
            "BRIEFGEN_SMTP_FROM": "Override <override@example.com>",
        }
        report = run(workspace, to=["asha@example.org"], environ=env)
        assert report.count("sent") == 1 and server.received[0].mail_from == "override@example.com"
        bad = run_cli("send", cwd=workspace, env=cli_env(BRIEFGEN_SMTP_PORT="seventy"))
    assert bad.returncode == 2 and "BRIEFGEN_SMTP_PORT" in bad.stderr


# --------------------------------------------------------------------------- failures


def test_a_550_refusal_is_recorded_and_does_not_stop_the_others(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        server.handler.reject["ben@example.org"] = "550 5.1.1 <ben@example.org>: mailbox unavailable"
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        result = run_cli("send", cwd=workspace, env=cli_env())
        assert result.returncode == 1
        assert "not delivered: india-russia-summit-2021-12 to ben@example.org: RCPT TO: 550 5.1.1" in result.stderr
        assert sorted(r.rcpt_tos[0] for r in server.received) == ["asha@example.org", "chloe@example.org"]
        assert statuses(workspace) == {
            "asha@example.org": "sent",
            "ben@example.org": "failed",
            "chloe@example.org": "sent",
        }
        assert server.handler.connections == 1  # the refusal did not cost the connection

        # Only the failed recipient is tried again.
        del server.handler.reject["ben@example.org"]
        report = run(workspace)
        assert report.count("sent") == 1 and report.count("delivered") == 2
    assert sorted(r.rcpt_tos[0] for r in server.received) == [
        "asha@example.org",
        "ben@example.org",
        "chloe@example.org",
    ]
    listed = run_cli("deliveries", SEED_ID, cwd=workspace, env=cli_env())
    assert listed.returncode == 0 and listed.stdout.count("  sent  ") == 3


def test_a_transient_4xx_is_retried(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        server.handler.reject["ben@example.org"] = "451 4.3.0 try again later"
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        report = run(workspace, to=["ben@example.org"])
    (delivery,) = report.deliveries
    assert delivery.outcome == "failed" and delivery.attempts == 3 and "451" in delivery.detail
    (entry,) = deliveries(config=load_config(workspace))
    assert entry.attempts == 3 and entry.status == "failed"


def test_a_dropped_connection_is_reopened_and_the_batch_completes(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        server.handler.drop_at_mail = {2}
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        report = run(workspace)
    assert report.count("sent") == 3 and not report.problems
    assert sorted(r.rcpt_tos[0] for r in server.received) == [
        "asha@example.org",
        "ben@example.org",
        "chloe@example.org",
    ]
    assert server.handler.connections == 2


def test_no_answer_to_the_final_dot_is_uncertain_and_the_batch_goes_on(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        server.handler.drop_after_data = "ben@example.org"
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        report = run(workspace)
        assert [d.outcome for d in report.deliveries] == ["sent", "uncertain", "sent"]
        assert "no answer after the message was sent" in report.deliveries[1].detail
        server.handler.drop_after_data = None
        again = run(workspace)
    assert [d.outcome for d in again.deliveries] == ["delivered", "uncertain", "delivered"]
    assert len(server.handler.to("ben@example.org")) == 1 and len(server.received) == 3


def test_server_gone_mid_batch_then_a_rerun_completes_with_no_duplicate(tmp_path: Path, built_examples: Built) -> None:
    people = many(6)
    server = MailServer()
    with server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)

        def stop_after_two(delivery: object) -> None:
            if len(server.received) == 2:
                server.stop()

        first = run(workspace, progress=stop_after_two)
    assert first.count("sent") == 2 and len(first.problems) == 4
    assert all("connect" in d.detail for d in first.problems), [d.detail for d in first.problems]

    # The server is back (on another port: the environment overrides briefgen.toml).
    with MailServer() as again:
        second = run(
            workspace,
            environ={"BRIEFGEN_SMTP_PORT": str(again.port)},
        )
        third = run(workspace, environ={"BRIEFGEN_SMTP_PORT": str(again.port)})
    assert second.count("sent") == 4 and second.count("delivered") == 2 and not second.problems
    arrived = [r.rcpt_tos[0] for r in server.received + again.received]
    assert sorted(arrived) == sorted(p[1] for p in people)  # everyone, once
    assert third.count("sent") == 0 and third.count("delivered") == 6


# --------------------------------------------------------------------------- crashes and concurrency


def _send_process(workspace: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen", "send", *args],
        cwd=workspace,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)  # reaped: a zombie would still look alive


def test_killed_before_the_final_dot_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, built_examples: Built
) -> None:
    people = many(5)
    victim = people[2][1]
    with MailServer() as server:
        server.handler.hang_rcpt = victim
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        process = _send_process(workspace)
        wait_for(server.handler.hanging.is_set)
        _kill(process)
        server.handler.release.set()
        assert statuses(workspace)[victim] == "sending"  # a claim whose owner is dead

        report = run(workspace)
    assert report.count("sent") == 3 and report.count("delivered") == 2 and not report.problems
    assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(p[1] for p in people)
    assert set(statuses(workspace).values()) == {"sent"}


def test_killed_after_the_final_dot_is_uncertain_not_resent_until_asked(tmp_path: Path, built_examples: Built) -> None:
    people = many(4)
    victim = people[1][1]
    with MailServer() as server:
        server.handler.hang_after_data = victim  # the server has the message, the answer never leaves
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        process = _send_process(workspace)
        wait_for(server.handler.hanging.is_set)
        _kill(process)
        server.handler.release.set()
        server.handler.hang_after_data = None
        assert statuses(workspace)[victim] == "committing"

        rerun = run_cli("send", cwd=workspace, env=cli_env())
        assert rerun.returncode == 1 and "UNCERTAIN" in rerun.stdout and "--resend" in rerun.stderr
        assert len(server.handler.to(victim)) == 1  # not sent twice behind anyone's back
        assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(p[1] for p in people)

        resolved = run(workspace, to=[victim], resend=True)
    assert resolved.count("sent") == 1
    first, second = server.handler.to(victim)
    assert first.message["Message-ID"] == second.message["Message-ID"]  # clients can drop the copy
    assert set(statuses(workspace).values()) == {"sent"}


def test_two_concurrent_runs_never_send_to_the_same_person_twice(tmp_path: Path, built_examples: Built) -> None:
    people = many(12)
    with MailServer() as server:
        server.handler.delay = 0.05
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        first, second = _send_process(workspace), _send_process(workspace)
        outs = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    arrived = sorted(r.rcpt_tos[0] for r in server.received)
    assert arrived == sorted(p[1] for p in people)  # everyone exactly once
    assert set(statuses(workspace).values()) == {"sent"}


# --------------------------------------------------------------------------- the outbox


def test_without_smtp_messages_go_to_the_outbox(tmp_path: Path, built_examples: Built) -> None:
    workspace = mail_workspace(tmp_path, built_examples)
    result = run_cli("send", cwd=workspace, env=cli_env())
    assert result.returncode == 0, result.stderr
    folder = workspace / "output" / "outbox" / SEED_ID
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["asha@example.org.eml", "ben@example.org.eml", "chloe@example.org.eml"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left

    import email
    from email import policy

    msg = email.message_from_bytes((folder / "asha@example.org.eml").read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1" and msg["To"].addresses[0].addr_spec == "asha@example.org"
    (attachment,) = msg.iter_attachments()
    assert attachment.get_content() == built_examples.path(SEED_ID, "pdf").read_bytes()

    again = run_cli("send", cwd=workspace, env=cli_env())
    assert again.returncode == 0 and "3 already delivered" in again.stdout
    entries = deliveries(config=load_config(workspace))
    assert {e.key.channel for e in entries} == {"outbox"}


def test_the_ledger_is_sqlite_keyed_by_brief_recipient_and_channel(tmp_path: Path, built_examples: Built) -> None:
    workspace = mail_workspace(tmp_path, built_examples)
    run(workspace)
    with sqlite3.connect(workspace / ".briefgen" / "state.db") as db:
        rows = db.execute("SELECT brief_id, recipient, length(content_hash), status FROM deliveries").fetchall()
    assert sorted(rows) == [(SEED_ID, p[1], 64, "sent") for p in PEOPLE]
    first_version = {e.key.recipient: e.content_hash for e in deliveries(config=load_config(workspace))}

    # New facts are a new version of the same brief: a plain re-run sends nothing ...
    source = workspace / "inputs" / SEED.name
    source.write_text(source.read_text().replace("author: briefgen example desk", "author: another desk"))
    again = run(workspace, to=["asha@example.org"])
    assert again.count("sent") == 0 and again.count("delivered") == 1 and again.built == []
    assert "--resend-changed" in again.deliveries[0].detail
    # ... and sending the new version to who has the old one is explicit.
    report = run(workspace, to=["asha@example.org"], resend_changed=True)
    assert report.count("sent") == 1 and report.built == [SEED_ID]  # the stale build was rebuilt
    rows = deliveries(SEED_ID, config=load_config(workspace))
    assert [e.key.recipient for e in rows].count("asha@example.org") == 1
    versions = {e.key.recipient: e.content_hash for e in rows}
    assert versions["asha@example.org"] != first_version["asha@example.org"]
    assert versions["ben@example.org"] == first_version["ben@example.org"]
    listing = run_cli("deliveries", cwd=workspace, env=cli_env())
    assert f"version={versions['asha@example.org'][:8]}" in listing.stdout
    assert f"version={versions['ben@example.org'][:8]}" in listing.stdout


@pytest.mark.parametrize(
    ("template", "text", "expected"),
    [("subject.txt.j2", "Weekly: {{ meta.title }}\n", "Weekly: India–Russia summit")],
)
def test_a_workspace_overrides_an_email_template(
    tmp_path: Path, built_examples: Built, template: str, text: str, expected: str
) -> None:
    workspace = mail_workspace(tmp_path, built_examples)
    (workspace / "templates" / "email").mkdir(parents=True)
    (workspace / "templates" / "email" / template).write_text(text)
    report = run(workspace, to=["asha@example.org"], dry_run=True)
    assert report.deliveries[0].subject.startswith(expected)


def test_names_are_escaped_in_the_html(tmp_path: Path, built_examples: Built) -> None:
    people = [("<script>alert(1)</script> & Co", "mallory@example.org", "pdf", ["x"])]
    workspace = mail_workspace(tmp_path, built_examples, people=people)
    run(workspace)
    import email
    from email import policy

    path = workspace / "output" / "outbox" / SEED_ID / "mallory@example.org.eml"
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_send_picks_briefs_by_id_and_reports_unknown_ids(tmp_path: Path, built_examples: Built) -> None:
    workspace = mail_workspace(tmp_path, built_examples)
    result = run_cli("send", "no-such-brief", "--dry-run", cwd=workspace, env=cli_env())
    assert result.returncode == 2 and f"known ids: {SEED_ID}" in result.stderr


def test_unreachable_server_fails_fast_and_names_everyone(tmp_path: Path, built_examples: Built) -> None:
    port = free_port()  # nothing listens here
    workspace = mail_workspace(tmp_path, built_examples, smtp=f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\n')
    started = time.perf_counter()
    result = run_cli("send", cwd=workspace, env=cli_env())
    assert result.returncode == 1 and time.perf_counter() - started < 30
    for _name, address, _fmt, _groups in PEOPLE:
        assert f"to {address}: " in result.stderr
    assert set(statuses(workspace).values()) == {"failed"}

    with MailServer(port=port) as server:  # the server is up: the next run sends to everyone
        report = run(workspace)
    assert report.count("sent") == 3 and sorted(r.rcpt_tos[0] for r in server.received) == EVERYONE
    assert all(re.fullmatch(r"<[^<>@\s]+@example\.org>", r.message["Message-ID"]) for r in server.received)
