"""The rule catalogue: every rule a finding can carry, declared once.

Each rule has its id, the stage that emits it, the severities it may have
and one line saying what it means. :class:`~gicstats.form.findings.Finding`
refuses a rule or a severity the catalogue does not declare, so a check
that emits an undeclared rule fails its tests at once. The README's table of
checks is generated from here (``python -m gicstats.form.rules``).

The narrative comparison has one rule per kind of figure the text states
(``narrative.new_received``, ``narrative.granted_share`` …): they are one
family, declared by their prefix.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache

from gicstats.form.identities import IDENTITIES

# Severities, most serious first, with their display labels.
SEVERITIES: tuple[str, ...] = ("error", "warning", "not_assessable", "info")
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "not_assessable": "无法核对", "info": "说明"}

STAGES = ("read", "check")

_RULE_ID = re.compile(r"^[a-z_]+(?:\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue.

    Attributes:
        id: The rule id (``parse.ambiguous_split``), or for a family the
            prefix its ids start with (``narrative.``).
        stage: ``read`` (found while reading a source) or ``check``.
        severities: The severities its findings may have, the usual first.
        description: What a finding of this rule means, in one line.
    """

    id: str
    stage: str
    severities: tuple[str, ...]
    description: str

    @property
    def family(self) -> bool:
        """Whether the id ends with a dot and so names a family of rules by prefix."""
        return self.id.endswith(".")


_W, _E, _NA, _I = ("warning",), ("error",), ("not_assessable",), ("info",)

_READ_RULES = (
    Rule("source.undecodable_bytes", "read", _W, "UTF-8 page with a few damaged bytes, read with them replaced"),
    Rule("source.repaired", "read", _W, "damaged file that the PDF library repaired while reading"),
    Rule("parse.template_undetermined", "read", _W, "labels of neither template version prevail; read as 2019"),
    Rule("parse.mixed_template", "read", _I, "labels of both template versions; read by the one with more"),
    Rule("parse.other_version_label", "read", _W, "a label of the other template version"),
    Rule("parse.unknown_label", "read", _W, "text inside a table that matches no label of the template"),
    Rule("parse.label_variant", "read", _W, "a label printed in a variant the template does not declare"),
    Rule("parse.stray_value", "read", _W, "a value that belongs to no row"),
    Rule("parse.extra_values", "read", _W, "a row with more values than the template has columns"),
    Rule("parse.missing_values", "read", _W, "a row with fewer values than the template has columns"),
    Rule("parse.split_exhausted", "read", _W, "a digit run too long to split within the step limit"),
    Rule("parse.unsplittable", "read", _W, "a digit run that no split satisfying the row's identity fits"),
    Rule("parse.ambiguous_split", "read", _W, "a digit run with several splits the identities cannot tell apart"),
    Rule("parse.ambiguous_alignment", "read", _W, "a Markdown row whose span padding cannot be told from its blanks"),
    Rule("parse.collapsed_cells", "read", _W, "a row whose runs of equal cells were collapsed, expanded one way only"),
    Rule("parse.ambiguous_collapse", "read", _W, "a row of collapsed cells with several expansions; not read"),
    Rule("parse.short_row", "read", _W, "a row with fewer cells than columns and no one place for them; not read"),
    Rule("parse.duplicate_cell", "read", _W, "a cell printed twice; the first is kept"),
    Rule("parse.unreadable_cell", "read", _W, "a cell whose text is not a number; read as blank"),
    Rule("parse.implausible_value", "read", _W, "a number of 10^12 or more, too large to be real; read as blank"),
    Rule("parse.missing_table", "read", _W, "a table of the template the report does not print"),
    Rule("parse.missing_row", "read", _W, "rows of a table the report does not print"),
    Rule("parse.no_agency", "read", _W, "no agency name found in the title"),
    Rule("parse.no_year", "read", _W, "no statistical year found in the title or the text"),
    Rule("ocr.low_confidence", "read", _W, "a cell read by OCR with a confidence under 0.6; its value is kept"),
    Rule("correction.applied", "read", _I, "a reviewed correction was applied to a cell"),
    Rule("correction.stale", "read", _W, "a reviewed correction no longer applies: the source changed"),
)

_CHECK_RULES = (
    Rule("active.negative", "check", _E, "a negative count in table 二 where it cannot be negative"),
    Rule("applications.negative", "check", _E, "a negative count in table 三"),
    Rule("review_litigation.negative", "check", _E, "a negative count in table 四"),
    Rule("active.new_published_exceeds_total", "check", _W, "2019 table 二: 本年新公开数量 above 对外公开总数量"),
    Rule("series.carry_over", "check", ("error", "not_assessable"), "上年结转 against last year's 结转下年度"),
    Rule(
        "series.prev_year_items",
        "check",
        ("warning", "not_assessable"),
        "2019 table 二: 上一年项目数量 against last year's items plus its change",
    ),
    Rule(
        "series.in_force",
        "check",
        ("warning", "not_assessable"),
        "2021 table 二: 现行有效件数 against last year's plus issued less repealed",
    ),
    Rule("series.gap", "check", _NA, "the year before is missing, so year-against-year checks cannot run"),
    Rule(
        "narrative.",
        "check",
        ("error", "warning", "not_assessable"),
        "a figure the text states against the table (one rule per figure: narrative.new_received …)",
    ),
)


def _identity_rules() -> tuple[Rule, ...]:
    seen: dict[str, Rule] = {}
    for identities in IDENTITIES.values():
        for identity in identities:
            seen.setdefault(
                identity.rule, Rule(identity.rule, "check", ("error", "not_assessable"), identity.description)
            )
    return tuple(seen.values())


RULES: tuple[Rule, ...] = _READ_RULES + _identity_rules() + _CHECK_RULES


@cache
def _by_id() -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for r in RULES:
        if r.id in out:
            raise ValueError(f"rule {r.id!r} is declared twice")
        out[r.id] = r
    return out


def lookup(rule_id: str) -> Rule | None:
    """The rule declaring ``rule_id`` (its family for ``narrative.*``), or None."""
    hit = _by_id().get(rule_id)
    if hit is not None:
        return hit
    prefix, dot, rest = rule_id.partition(".")
    family = _by_id().get(prefix + dot)
    if family is not None and _RULE_ID.match(rule_id) and rest:
        return family
    return None


def rules_markdown() -> str:
    """The catalogue as a Markdown table, for the README."""
    lines = ["| rule | stage | severity | what it means |", "| --- | --- | --- | --- |"]
    for r in RULES:
        name = f"`{r.id}<figure>`" if r.family else f"`{r.id}`"
        lines.append(f"| {name} | {r.stage} | {', '.join(r.severities)} | {r.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - prints the README's table
    sys.stdout.write(rules_markdown())
