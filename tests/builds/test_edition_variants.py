"""Editions per audience: each variant's "what changed" compares it with the previous edition's
same variant, so a wider audience never hears of an internal fact being added, changed or
removed, and an internal fact released later is new to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from briefgen import load_config
from briefgen.builds.edition_variants import approval_digest, build_edition_variant, edition_variants
from briefgen.builds.editions import build_edition

from ..conftest import DATA

SECRET = "ZEBRA-CANARY"
LADDER = ["public", "partners", "internal"]


def agreement(title: str, status: str, release: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"title": title, "kind": "accord", "parties": ["Malta", "Italy"], "status": status}
    if release:
        item["release"] = release
    item["sources"] = ["wire"]
    return item


def write_week(root: Path, ident: str, day: str, agreements: list[dict[str, Any]]) -> None:
    data = yaml.safe_load((DATA / "minimal.yaml").read_text(encoding="utf-8"))
    data["brief"]["id"], data["brief"]["date"] = ident, day
    data["event"]["date"] = day
    data["event"]["title"] = f"Harbour meeting {ident}"
    data["agreements"] = agreements
    (root / "inputs" / f"{ident}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def changes_of(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return html[html.index('id="changes"') : html.index("</section>", html.index('id="changes"'))]


def test_each_variant_says_what_changed_for_its_own_audience(tmp_path: Path) -> None:
    root = tmp_path
    (root / "inputs").mkdir()
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n', encoding="utf-8")
    # Week 10: a quiet internal accord, and one that is internal for now.
    write_week(
        root,
        "week-a",
        "2030-03-05",
        [agreement(f"Quiet accord {SECRET}", "agreed", "internal"), agreement("Later accord", "agreed", "internal")],
    )
    config = load_config(root)
    first = build_edition("2030-W10", config)
    built = edition_variants(first, LADDER, config)
    for variant in built.values():
        build_edition_variant(variant, config, ["html"])
    # Week 11: the quiet accord is signed (still internal); the later one is released.
    write_week(
        root,
        "week-b",
        "2030-03-12",
        [agreement(f"Quiet accord {SECRET}", "signed", "internal"), agreement("Later accord", "signed", None)],
    )
    second = build_edition("2030-W11", config)
    variants = edition_variants(second, LADDER, config)
    public, internal = variants["public"], variants["internal"]
    assert public.previous_id == internal.previous_id == "2030-W10"

    public_text = [c.text for c in public.changes]
    assert not any(SECRET in t for t in public_text)  # added, changed or removed: never mentioned
    assert any(c.kind == "new-agreement" and c.text == "Later accord" for c in public.changes)  # released: new to them
    internal_kinds = {(c.kind, c.text.split(":")[0]) for c in internal.changes}
    assert ("changed-agreement", f"Quiet accord {SECRET}") in internal_kinds
    assert ("changed-agreement", "Later accord") in internal_kinds  # the desk knew it already: a change, not news
    assert not any(c.kind == "new-agreement" for c in internal.changes)

    paths = {level: build_edition_variant(v, config, ["html"])["html"] for level, v in variants.items()}
    assert paths["public"] == root / "output" / "variants" / "public" / "editions" / "2030-W11.html"
    assert SECRET not in paths["public"].read_text(encoding="utf-8")
    assert "PUBLIC RELEASE" in paths["public"].read_text(encoding="utf-8")
    assert "Later accord" in changes_of(paths["public"]) and SECRET not in changes_of(paths["public"])
    assert SECRET in changes_of(paths["internal"])
    assert SECRET not in (paths["public"].with_suffix(".json")).read_text(encoding="utf-8")

    # Cached like any output: a second build of the same facts writes nothing.
    stamp = paths["public"].stat().st_mtime_ns
    build_edition_variant(edition_variants(second, ["public"], config)["public"], config, ["html"])
    assert paths["public"].stat().st_mtime_ns == stamp


def test_one_approval_covers_every_variant_and_any_change_voids_it(tmp_path: Path) -> None:
    root = tmp_path
    (root / "inputs").mkdir()
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n', encoding="utf-8")
    write_week(root, "week-a", "2030-03-05", [agreement(f"Quiet accord {SECRET}", "agreed", "internal")])
    config = load_config(root)
    edition = build_edition("2030-W10", config)
    before = approval_digest(edition, config)
    assert approval_digest(edition, config) == before  # stable
    (root / "briefgen.toml").write_text(
        '[build]\nformats = ["html"]\n[release]\nbanners = { public = "OPEN" }\n', encoding="utf-8"
    )
    banner = load_config(root)
    assert approval_digest(edition, banner) != before  # only the public variant's banner changed
    write_week(root, "week-a", "2030-03-05", [agreement(f"Quiet accord {SECRET}", "signed", "internal")])
    changed = build_edition("2030-W10", config)
    assert approval_digest(changed, config) != before  # only the internal variant changed


def test_a_variant_lays_out_only_what_is_asked_and_never_serves_a_stale_pdf(tmp_path: Path) -> None:
    root = tmp_path
    (root / "inputs").mkdir()
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n', encoding="utf-8")
    write_week(root, "week-a", "2030-03-05", [agreement(f"Quiet accord {SECRET}", "agreed", "internal")])
    config = load_config(root)
    folder = root / "output" / "variants" / "public" / "editions"
    stale = folder / "2030-W10.pdf"
    folder.mkdir(parents=True)
    stale.write_bytes(b"%PDF- of other facts")
    variant = edition_variants(build_edition("2030-W10", config), ["public"], config)["public"]
    build_edition_variant(variant, config, ["html"])
    assert (folder / "2030-W10.html").is_file() and not stale.exists()  # no PDF laid out, none left over


def test_a_library_action_marked_internal_stays_out_of_wider_editions(tmp_path: Path) -> None:
    root = tmp_path
    (root / "inputs").mkdir()
    (root / "library").mkdir()
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n', encoding="utf-8")
    write_week(root, "week-a", "2030-03-05", [agreement("Open accord", "agreed", None)])  # no brief is marked

    def listing() -> dict[str, Any]:  # a fresh copy each: a shared list would be dumped as a YAML alias
        return {"kind": "listing", "by": "Treasury", "targets": [{"name": "Harbour Co"}], "sources": ["registry"]}

    library = {
        "sources": [{"id": "registry", "publisher": "Registry", "title": "Listings of the week"}],
        "actions": [
            {"id": "quiet-listing", "title": f"Quiet listing {SECRET}", "date": "2030-03-13", **listing()},
            {"id": "open-listing", "title": "Open listing", "date": "2030-03-14", **listing()},
        ],
    }
    library["actions"][0]["release"] = "internal"
    (root / "library" / "week.yaml").write_text(yaml.safe_dump(library, sort_keys=False), encoding="utf-8")
    config = load_config(root)
    for variant in edition_variants(build_edition("2030-W10", config), LADDER, config).values():
        build_edition_variant(variant, config, ["html"])  # last week's, for "what changed"
    write_week(root, "week-b", "2030-03-12", [agreement("Open accord", "signed", None)])
    variants = edition_variants(build_edition("2030-W11", config), LADDER, config)
    public, internal = variants["public"], variants["internal"]
    assert [a.id for a in public.actions] == ["open-listing"] and public.withheld == 1
    assert [a.id for a in internal.actions] == ["quiet-listing", "open-listing"]
    assert not any(SECRET in c.text for c in public.changes)
    assert any(SECRET in c.text for c in internal.changes)  # the control: the desk hears of it
    paths = {level: build_edition_variant(v, config, ["html"])["html"] for level, v in variants.items()}
    assert "Open listing" in paths["public"].read_text(encoding="utf-8")
    for leaked in (paths["public"], paths["public"].with_suffix(".json"), paths["partners"]):
        assert SECRET not in leaked.read_text(encoding="utf-8"), leaked
    assert SECRET in paths["internal"].read_text(encoding="utf-8")
    assert public.digest != internal.digest
