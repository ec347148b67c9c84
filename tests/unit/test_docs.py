"""The README matches the tree and documents every setting: each ENERGYLAKE_* variable that settings.py reads or
template.yaml sets is in its configuration table, and every path its house section names exists."""

from __future__ import annotations

import re

from energylake.settings import Settings
from tests.support.paths import REPO_ROOT
from tests.support.template import RESOURCES

README = (REPO_ROOT / "README.md").read_text()
PACKAGE = REPO_ROOT / "layers" / "common" / "energylake"


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, flags=re.MULTILINE | re.DOTALL)
    assert match, f"the README has no section {title!r}"
    return match.group(1)


def _documented() -> set[str]:
    return set(re.findall(r"`(ENERGYLAKE_[A-Z0-9_]+)`", _section("Configuration")))


def test_every_setting_is_documented() -> None:
    read = {f"ENERGYLAKE_{name.upper()}" for name in Settings.model_fields}
    assert read - _documented() == set()


def test_every_variable_the_template_sets_is_documented_and_read() -> None:
    set_by_template = {
        name
        for resource in RESOURCES.values()
        for name in resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if name.startswith("ENERGYLAKE_")
    }
    assert set_by_template, "the template sets ENERGYLAKE_* variables on its functions"
    assert set_by_template - _documented() == set()
    assert set_by_template - {f"ENERGYLAKE_{name.upper()}" for name in Settings.model_fields} == set()


def test_the_configuration_table_documents_no_variable_that_does_not_exist() -> None:
    read = {f"ENERGYLAKE_{name.upper()}" for name in Settings.model_fields}
    assert _documented() - read == set()


def _paths(text: str) -> list[str]:
    return [path for path in re.findall(r"`([A-Za-z_][\w./-]*(?:/|\.py))`", text) if not path.startswith("energylake.")]


def test_every_path_the_house_section_names_exists() -> None:
    # GIVEN the house section's two tables: repository paths, then the package's rooms (a room's files are named
    # relative to the room in the first cell of its row)
    house = _section("The house: where the code lives")
    missing: list[str] = []
    checked = 0
    for row in re.findall(r"^\|(.+)\|$", house, flags=re.MULTILINE):
        cells = [cell.strip() for cell in row.split("|")]
        first = _paths(cells[0])
        for path in first:
            checked += 1
            if not (REPO_ROOT / path).exists() and not (PACKAGE / path).exists():
                missing.append(path)
        rooms = [root / path for path in first if path.endswith("/") for root in (PACKAGE, REPO_ROOT)]
        for path in _paths(" ".join(cells[1:])):
            checked += 1
            if not any((base / path).exists() for base in (*rooms, PACKAGE, REPO_ROOT)):
                missing.append(path)
    # THEN every one of them exists
    assert checked > 40
    assert missing == []


def test_exit_codes_are_defined_once() -> None:
    assert README.count("**Exit codes**") == 1
    assert len(re.findall(r"^Exit codes", README, flags=re.MULTILINE)) == 0
