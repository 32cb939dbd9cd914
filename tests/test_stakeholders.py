"""Stakeholders: validated like the facts, every problem as ``file:line:col: field: message``."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.errors import InputError
from briefgen.mailconfig import mail_settings
from briefgen.stakeholders import load_stakeholders, select_recipients

from .conftest import SEED, make_workspace, run_cli

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
