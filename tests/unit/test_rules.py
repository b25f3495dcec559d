"""The rule catalogue: every rule declared once, nothing emitted undeclared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import gicstats
from gicstats.form.findings import Finding
from gicstats.form.rules import RULES, SEVERITIES, STAGES, lookup, rules_markdown

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(gicstats.__file__).parent


def test_readme_table_is_generated_from_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- rules:start -->\n")[1].split("<!-- rules:end -->")[0]
    assert table == rules_markdown()


def test_every_rule_is_well_formed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.stage in STAGES, rule.id
        assert rule.severities and set(rule.severities) <= set(SEVERITIES), rule.id
        assert rule.description, rule.id


def test_an_undeclared_rule_or_severity_is_refused():
    with pytest.raises(ValueError, match="not declared"):
        Finding("r", "parse.made_up", "warning", "", "", "", "")
    with pytest.raises(ValueError, match="declared with severities"):
        Finding("r", "parse.no_year", "error", "", "", "", "")
    assert Finding("r", "narrative.granted_share", "error", "", "", "", "").rule == "narrative.granted_share"
    assert lookup("narrative.") is not None and lookup("narrative") is None


def test_every_rule_id_written_in_the_source_is_declared():
    """Rule ids spelled out in the code (``"parse.no_year"``) are all in the catalogue."""
    pattern = re.compile(r"[\"']((?:parse|source|correction|series|active|narrative)\.[a-z_]+)[\"']")
    found = {m for path in SRC.rglob("*.py") for m in pattern.findall(path.read_text(encoding="utf-8"))}
    assert len(found) > 25  # the scan sees the code
    assert sorted(r for r in found if lookup(r) is None) == []
