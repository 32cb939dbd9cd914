"""Stakeholders: validated like the facts, every problem as ``file:line:col: field: message``."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.deliver.mail import default_sender, mail_settings
from briefgen.deliver.stakeholders import load_stakeholders, select_recipients
from briefgen.errors import InputError

from ..conftest import REPO, SEED, Built, make_workspace, run_cli
from ..mailserver import MailServer

GOOD = """\
stakeholders:
  - name: Asha Rao
    email: asha@Example.ORG
    organisation: Northgate
    groups: [leadership, desk-south-asia]
  - name: Ben Okafor
    email: ben@example.org
    groups: [desk-south-asia]
    format: html
"""

BAD = """\
stakeholders:
  - name: Asha Rao
    email: asha@example
  - name: Ben Okafor
    email: ben@example.org
    format: fax
    groups: [Desk South Asia]
  - email: carla@example.org
    phone: "555"
  - name: Dup
    email: BEN@example.org
"""


def test_a_valid_file_loads(tmp_path: Path) -> None:
    (tmp_path / "stakeholders.yaml").write_text(GOOD)
    people = load_stakeholders(load_config(tmp_path))
    assert [p.email for p in people] == ["asha@example.org", "ben@example.org"]
    assert people[0].format == "pdf" and people[1].format == "html"
    assert [p.email for p in select_recipients(people, ["leadership"])] == ["asha@example.org"]
    assert len(select_recipients(people, ["desk-south-asia", "ASHA@example.org"])) == 2


def test_every_problem_is_reported_with_its_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stakeholders.yaml").write_text(BAD)
    with pytest.raises(InputError) as caught:
        load_stakeholders(load_config(tmp_path))
    lines = [str(p) for p in caught.value.problems]
    assert lines == [
        "stakeholders.yaml:3:5: stakeholders[0].email: expected an email address like name@example.org, "
        "got 'asha@example'",
        "stakeholders.yaml:6:5: stakeholders[1].format: expected 'pdf', 'html' or 'both'",
        "stakeholders.yaml:7:14: stakeholders[1].groups[0]: "
        "expected a group name of lower-case letters, digits, '.', '_' or '-'",
        "stakeholders.yaml:8:5: stakeholders[2].name: field required",
        "stakeholders.yaml:9:5: stakeholders[2].phone: unknown field (expected name, email, organisation, "
        "groups, format)",
    ]


def test_a_duplicate_address_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stakeholders.yaml").write_text(GOOD + "  - name: Again\n    email: ASHA@example.org\n")
    with pytest.raises(InputError) as caught:
        load_stakeholders(load_config(tmp_path))
    (problem,) = caught.value.problems
    assert str(problem) == "stakeholders.yaml:11:5: email: ASHA@example.org is already listed in stakeholders.yaml"


def test_a_line_break_in_a_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stakeholders.yaml").write_text('- name: "Eve\\nBcc: everyone@example.org"\n  email: e@example.org\n')
    with pytest.raises(InputError) as caught:
        load_stakeholders(load_config(tmp_path))
    assert str(caught.value.problems[0]) == "stakeholders.yaml:1:3: stakeholders[0].name: expected one line of text"


def test_the_cli_reports_a_malformed_file_with_exit_code_2(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    (tmp_path / "people.yaml").write_text(BAD)
    (tmp_path / "briefgen.toml").write_text('[mail]\nstakeholders = "people.yaml"\n')
    result = run_cli("send", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert "people.yaml:3:5: stakeholders[0].email: expected an email address" in result.stderr
    assert "error: 5 problems in 1 file" in result.stderr


def test_stakeholders_in_briefgen_toml_with_the_line_of_the_bad_one(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(
        "[[stakeholders]]\n"
        'name = "Asha Rao"\n'
        'email = "asha@example.org"\n'
        "\n"
        "[[stakeholders]]\n"
        'name = "Ben Okafor"\n'
        'email = "ben at example.org"\n'
    )
    with pytest.raises(InputError) as caught:
        load_config(tmp_path)
    (problem,) = caught.value.problems
    assert problem.line == 7 and problem.field == "stakeholders.1.email"
    assert "expected an email address" in problem.message

    (tmp_path / "briefgen.toml").write_text('[[stakeholders]]\nname = "Asha Rao"\nemail = "asha@example.org"\n')
    assert [p.name for p in load_stakeholders(load_config(tmp_path))] == ["Asha Rao"]


def test_unknown_group_names_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "stakeholders.yaml").write_text(GOOD)
    people = load_stakeholders(load_config(tmp_path))
    with pytest.raises(InputError) as caught:
        select_recipients(people, ["leadershp"])
    assert "known groups: desk-south-asia, leadership" in str(caught.value)


def test_smtp_settings_need_a_password_from_the_environment_or_a_file(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(
        '[mail]\nhost = "smtp.example.org"\nusername = "me@example.org"\npassword_file = "secret"\n'
    )
    config = load_config(tmp_path)
    with pytest.raises(InputError) as caught:
        mail_settings(config, {})
    assert "cannot read the password" in str(caught.value)

    (tmp_path / "secret").write_text("from-a-file\n")
    settings = mail_settings(config, {})
    assert settings.smtp is not None and settings.smtp.port == 587 and settings.smtp.security == "starttls"
    assert settings.secrets() == ["from-a-file"] and settings.sender == "me@example.org"
    assert "from-a-file" not in repr(settings)
    assert mail_settings(config, {"BRIEFGEN_SMTP_PASSWORD": "from-env"}).secrets() == ["from-env"]
    assert mail_settings(config, {"BRIEFGEN_SMTP_SECURITY": "ssl"}).smtp.port == 465  # type: ignore[union-attr]


def test_no_host_means_the_outbox(tmp_path: Path) -> None:
    settings = mail_settings(load_config(tmp_path), {})
    assert settings.smtp is None and settings.outbox == tmp_path.resolve() / "output" / "outbox"


# --------------------------------------------------------------------------- README promises (issue 12)


def _ready_to_send(root: Path, built: Built) -> Path:
    """The seed brief with its session build (fresh, so send does not lay out the PDF again),
    one stakeholder, and no briefgen.toml."""
    make_workspace(root, SEED)
    (root / "stakeholders.yaml").write_text("- name: Asha Rao\n  email: asha@example.org\n  groups: [leadership]\n")
    earlier = time.time() - 60
    for path in (root / "inputs" / SEED.name, root / "stakeholders.yaml"):
        os.utime(path, (earlier, earlier))
    (root / "output").mkdir()
    for fmt in ("pdf", "html"):
        shutil.copy(built.path("india-russia-summit-2021-12", fmt), root / "output")
    return root


def test_smtp_host_alone_leaves_the_outbox_with_a_derived_sender(tmp_path: Path, built_examples: Built) -> None:
    workspace = _ready_to_send(tmp_path, built_examples)
    assert not (workspace / "briefgen.toml").exists()
    with MailServer() as server:
        env = {"BRIEFGEN_SMTP_HOST": "127.0.0.1", "BRIEFGEN_SMTP_PORT": str(server.port)}
        env["BRIEFGEN_SMTP_SECURITY"] = "none"  # the loopback test server speaks plain SMTP
        result = run_cli("send", cwd=workspace, env=env)
        assert result.returncode == 0, result.stderr
        (received,) = server.received
    assert received.rcpt_tos == ["asha@example.org"]
    assert received.message["From"] == default_sender()
    assert received.mail_from == default_sender().split("<")[1].rstrip(">")
    assert not (workspace / "output" / "outbox").exists()


def test_default_sender_is_briefgen_at_this_host() -> None:
    assert default_sender("desk.example.org") == "briefgen <briefgen@desk.example.org>"
    assert default_sender("Laptop.") == "briefgen <briefgen@laptop>"
    assert default_sender("bad host;") == "briefgen <briefgen@localhost>"
    assert re.fullmatch(r"briefgen <briefgen@[a-z0-9.-]+>", default_sender())


def test_outbox_works_whatever_the_smtp_settings_say(tmp_path: Path, built_examples: Built) -> None:
    """--outbox writes the messages even when the configured server could not be used (a login
    without a password, no sender): none of it is read."""
    workspace = _ready_to_send(tmp_path, built_examples)
    env = {"BRIEFGEN_SMTP_HOST": "smtp.example.org", "BRIEFGEN_SMTP_USERNAME": "someone"}
    refused = run_cli("send", cwd=workspace, env=env)
    assert refused.returncode == 2
    # No briefgen.toml: the error names the variable that set the option, not a missing file.
    assert "BRIEFGEN_SMTP_USERNAME: mail.username: no password" in refused.stderr
    assert "briefgen.toml" not in refused.stderr
    result = run_cli("send", "--outbox", cwd=workspace, env=env)
    assert result.returncode == 0, result.stderr
    assert (workspace / "output" / "outbox" / "india-russia-summit-2021-12" / "asha@example.org.eml").is_file()


def test_errors_about_mail_options_name_briefgen_toml_only_when_it_exists(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text('[mail]\nhost = "smtp.example.org"\nusername = "me"\n')
    with pytest.raises(InputError) as caught:
        mail_settings(load_config(tmp_path), {})
    assert [p.file for p in caught.value.problems] == ["briefgen.toml"]
    (tmp_path / "briefgen.toml").unlink()
    with pytest.raises(InputError) as caught:
        mail_settings(load_config(tmp_path), {"BRIEFGEN_SMTP_HOST": "smtp.example.org", "BRIEFGEN_SMTP_PORT": "x"})
    assert [p.file for p in caught.value.problems] == ["BRIEFGEN_SMTP_PORT"]


def test_no_stakeholders_says_what_to_create_and_names_no_missing_file(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    result = run_cli("send", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert "create stakeholders.yaml at the workspace root" in result.stderr
    assert "briefgen new" in result.stderr
    assert not result.stderr.startswith("briefgen.toml")  # there is none
    assert "Traceback" not in result.stderr


def test_the_repository_ships_example_stakeholders_for_a_dry_run(tmp_path: Path) -> None:
    shipped = REPO / "stakeholders.yaml"
    people = load_stakeholders(load_config(REPO))
    assert people and all(p.email.endswith("@example.org") for p in people)
    # The README's examples send to these groups.
    assert {"leadership", "desk-south-asia"} <= {g for p in people for g in p.groups}
    inputs = sorted((REPO / "inputs").glob("*.yaml"))
    make_workspace(tmp_path, *inputs)
    shutil.copy(shipped, tmp_path)
    result = run_cli("send", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("would send") == 2 * len(inputs)  # two recipients for each shipped brief
