"""The schema and the loader: valid inputs load, every bad input is named by file, line and field."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from briefgen.errors import InputError
from briefgen.facts.load import load_brief, load_briefs
from briefgen.facts.schema import Brief, PartialDate, json_schema

from ..conftest import DATA, SECOND, SEED

GOOD = textwrap.dedent(
    """\
    brief:
      id: test-brief
      title: A test brief
      date: 2030-01-02
      author: Desk
    sources:
      - id: s1
        publisher: Wire
        title: Something happened
    key_judgments:
      - text: It happened.
        sources: [s1]
    """
)


def write(tmp_path: Path, text: str, name: str = "brief.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_brief(path)
    return [str(p) for p in info.value.problems]


def test_shipped_inputs_validate() -> None:
    briefs = load_briefs([SEED, SECOND])
    assert [b.brief.brief.id for b in briefs] == ["india-russia-summit-2021-12", "camp-david-trilateral-2023-08"]
    seed = briefs[0].brief
    assert seed.event is not None and seed.event.place.city == "New Delhi"
    assert seed.sanction_risk is not None
    assert briefs[1].brief.sanction_risk is None


def test_minimal_brief_loads(tmp_path: Path) -> None:
    brief = load_brief(write(tmp_path, GOOD)).brief
    assert brief.brief.date == dt.date(2030, 1, 2)
    assert brief.brief.marking == "UNCLASSIFIED"  # the default marking


def test_unknown_source_id_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("sources: [s1]", "sources: [s1, nope]"))
    (message,) = problems(path)
    assert message.startswith(f"{path}:12:19: ")
    assert "key_judgments[0].sources[1]" in message
    assert "unknown source id 'nope'" in message and "known ids: s1" in message


def test_missing_field_points_at_parent(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  author: Desk\n", ""))
    (message,) = problems(path)
    assert message == f"{path}:1:1: brief.author: field required"


def test_wrong_type_and_typo_reported_together(tmp_path: Path) -> None:
    text = GOOD.replace("date: 2030-01-02", "date: next tuesday").replace("title: A test brief", "titel: A test brief")
    found = problems(write(tmp_path, text))
    assert any(":4:3: brief.date:" in m and "date" in m for m in found)
    assert any(":3:3: brief.titel: unknown field" in m for m in found)
    assert any("brief.title: field required" in m for m in found)


def test_every_problem_in_every_file_at_once(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD.replace("sources: [s1]", "sources: [x]"), "a.yaml")
    b = write(tmp_path, GOOD.replace("publisher: Wire", "publisher: 42\n    bogus: 1"), "b.yaml")
    with pytest.raises(InputError) as info:
        load_briefs([a, b])
    files = {p.file for p in info.value.problems}
    assert files == {str(a), str(b)}
    assert len(info.value.problems) >= 3


def test_citation_errors_reported_even_when_schema_fails(tmp_path: Path) -> None:
    text = GOOD.replace("sources: [s1]", "sources: [ghost]").replace("author: Desk", "author: [not, text]")
    found = problems(write(tmp_path, text))
    assert any("unknown source id 'ghost'" in m for m in found)
    assert any("brief.author" in m for m in found)


def test_unsourced_fact_loads_for_lint_to_flag(tmp_path: Path) -> None:
    """The schema takes a draft with no sources; `briefgen lint` (test_lint) is what flags it."""
    brief = load_brief(write(tmp_path, GOOD.replace("sources: [s1]", "sources: []"))).brief
    assert brief.key_judgments[0].sources == []


def test_duplicate_source_ids(tmp_path: Path) -> None:
    text = GOOD.replace("sources:\n  - id: s1", "sources:\n  - id: s1\n    publisher: W\n    title: T\n  - id: s1")
    found = problems(write(tmp_path, text))
    assert any("defined twice" in m for m in found)


def test_duplicate_brief_ids_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(InputError) as info:
        load_briefs([a, b])
    (problem,) = info.value.problems
    assert problem.file == str(b) and problem.field == "brief.id" and problem.line == 2
    assert "already used by" in problem.message


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    (message,) = problems(write(tmp_path, "brief:\n  id: [unclosed\n  title: x\n"))
    assert "invalid YAML" in message
    assert message.startswith(f"{tmp_path / 'brief.yaml'}:3:")


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    bomb = 'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
    (message,) = problems(write(tmp_path, bomb))
    assert "aliases" in message and ":2:" in message


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    (message,) = problems(write(tmp_path, "brief: !!python/object/apply:os.system ['echo pwned']\n"))
    assert "invalid YAML" in message and "python/object/apply" in message


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    assert "file is empty" in problems(write(tmp_path, ""))[0]
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"brief: \xff\xfe\n")
    assert "not UTF-8" in problems(binary)[0]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    (message,) = problems(write(tmp_path, "- just\n- a list\n"))
    assert "(document)" in message


def test_bad_url_and_currency(tmp_path: Path) -> None:
    text = GOOD.replace("    title: Something happened", "    title: Something happened\n    url: javascript:alert(1)")
    text += textwrap.dedent(
        """\
        agreements:
          - title: Deal
            kind: contract
            parties: [A]
            status: signed
            value: {amount: 5, currency: dollars}
            sources: [s1]
        """
    )
    found = problems(write(tmp_path, text))
    assert any("sources[0].url" in m and "http" in m for m in found)
    assert any("agreements[0].value.currency" in m for m in found)


def test_partial_dates() -> None:
    assert PartialDate.parse(2030).precision == "year"
    assert PartialDate.parse("2018-10").human() == "Oct 2018"
    assert PartialDate.parse(dt.date(2021, 12, 6)).human() == "6 Dec 2021"
    assert PartialDate.parse("2024-02").last_day() == dt.date(2024, 2, 29)
    assert PartialDate.parse(2030) < PartialDate.parse("2030-01") < PartialDate.parse("2030-01-01")
    with pytest.raises(ValueError, match="YYYY"):
        PartialDate.parse("Dec 2021")


def test_invalid_partial_date_message(tmp_path: Path) -> None:
    text = GOOD + "event:\n  kind: summit\n  title: T\n  date: 2021-13\n  place: {city: X}\n  sources: [s1]\n"
    found = problems(write(tmp_path, text))
    assert any("event.date" in m and "invalid date" in m for m in found)


def test_json_schema_describes_the_model() -> None:
    schema = json_schema()
    assert schema["title"] == "briefgen brief"
    assert "brief" in schema["required"] and "sources" in schema["properties"]  # library sources may fill it
    assert "sanction_risk" in schema["properties"]
    json.dumps(schema)  # serialisable for editors


def test_minimal_fixture_has_optional_sections_absent() -> None:
    brief: Brief = load_brief(DATA / "minimal.yaml").brief
    assert brief.agreements == [] and brief.sanction_risk is None and brief.context == []


def test_duplicate_top_level_key_names_both_lines(tmp_path: Path) -> None:
    # A second ``brief:`` block used to replace the first silently (the last one won).
    second = "brief:\n  id: other\n  title: Other\n  date: 2030-01-03\n  author: Desk\n"
    path = write(tmp_path, GOOD + second)
    (message,) = problems(path)
    assert message.startswith(f"{path}:13:1: ")
    assert "duplicate key 'brief'" in message and "first defined on line 1" in message


def test_duplicate_nested_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  title: A test brief\n", "  title: A test brief\n  title: Again\n"))
    (message,) = problems(path)
    assert message.startswith(f"{path}:4:3: ") and "duplicate key 'title'" in message and "line 3" in message


def test_duplicate_key_in_a_list_item_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    title: Something happened\n", "    title: A\n    title: B\n"))
    (message,) = problems(path)
    assert "duplicate key 'title'" in message and ":10:5: " in message


@pytest.mark.parametrize("depth", [70, 985, 999])
def test_deep_nesting_is_a_located_error_not_a_recursion_error(tmp_path: Path, depth: int) -> None:
    path = write(tmp_path, GOOD + "extra: " + "[" * depth + "]" * depth + "\n")
    (message,) = problems(path)
    assert message.startswith(f"{path}:13:") and "nested more than 64 levels" in message


def test_deep_block_nesting_and_ten_thousand_levels(tmp_path: Path) -> None:
    block = "".join("  " * i + f"k{i}:\n" for i in range(990)) + "  " * 990 + "v\n"
    (message,) = problems(write(tmp_path, block, "block.yaml"))
    assert "nested more than 64 levels" in message
    (message,) = problems(write(tmp_path, "a: " + "[" * 10_000 + "]" * 10_000 + "\n", "flow.yaml"))
    assert ":1:" in message and "nesting depth" in message


def test_deep_nesting_with_the_pure_python_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from briefgen.facts import yamldoc

    monkeypatch.setattr(yamldoc, "_Loader", yaml.SafeLoader)  # it composes recursively
    (message,) = problems(write(tmp_path, "a: " + "[" * 990 + "]" * 990 + "\n"))
    assert "nested" in message


def test_stakeholder_files_go_through_the_same_loader(tmp_path: Path) -> None:
    from briefgen.config import load_config
    from briefgen.deliver.stakeholders import load_stakeholders

    (tmp_path / "stakeholders.yaml").write_text(
        "stakeholders:\n  - name: A\n    email: a@example.org\n    email: b@example.org\n"
    )
    with pytest.raises(InputError, match=r"stakeholders.yaml:4:5: duplicate key 'email' \(first defined on line 3\)"):
        load_stakeholders(load_config(tmp_path))


def test_colliding_output_names_name_both_files_and_lines(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD.replace("id: test-brief", "id: summit.v1"), "a.yaml")
    b = write(tmp_path, "# same id, one line lower\n" + GOOD.replace("id: test-brief", "id: summit.v1"), "b.yaml")
    c = write(tmp_path, GOOD.replace("id: test-brief", "id: summit.v2"), "c.yaml")
    with pytest.raises(InputError) as info:
        load_briefs([a, b, c])
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(b), 3)
    assert f"already used by {a}:2" in problem.message and "summit.v1.html" in problem.message
