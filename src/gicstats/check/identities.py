"""The form's identities (spec §6.1, §6.2) checked on one report.

The arithmetic is the one engine's, :mod:`gicstats.form.identities`.
"""

from __future__ import annotations

from gicstats.check.values import fmt, report_values
from gicstats.form import template as T
from gicstats.form.findings import Finding
from gicstats.form.identities import CellKey, Identity, Status, evaluate, instances
from gicstats.read.readers.ocr import misread_note
from gicstats.read.report import Report


def _member_label(table: T.Table, identity: Identity, member: str) -> str:
    if identity.axis == "column":
        return f"“{table.column(member).label}”列"
    if table.single_line:
        return f"“{table.row(member).label}”"
    return f"“{table.row(member).label}”行"


def _short(label: str) -> str:
    """A printed label without its bracketed counting note, for messages."""
    return label.split("（区分处理")[0]


def _side(table: T.Table, cells: tuple[CellKey, ...], values: dict, identity: Identity) -> str:
    parts = []
    for cell in cells:
        _, row, column = cell
        name = table.row(row).label if identity.axis == "column" else table.column(column).label
        parts.append(f"{_short(name)}({fmt(values.get(cell))})")
    return " + ".join(parts)


def _rhs_text(table: T.Table, inst, values: dict, right: float) -> str:
    """The right-hand side as the left one is shown: its terms, and ``= sum`` when it has several."""
    terms = inst.rhs
    if len(terms) > 4:
        return f"{len(terms)}项之和 = {fmt(right)}"
    text = _side(table, terms, values, inst.identity)
    return f"{text} = {fmt(right)}" if len(terms) > 1 else text


def _cell_id(cell: CellKey) -> str:
    return ".".join(cell)


def check_identities(report: Report) -> list[Finding]:
    """Check every identity of the report's template, per column or per row.

    An instance with a blank or missing cell is ``not_assessable``; one whose
    sides differ is an ``error`` whose message shows both sides, and, when
    cells were read by OCR, whether a misread is likely and which cells had
    a low confidence.
    """
    if report.template_version is None:
        return []
    findings: list[Finding] = []
    values = report_values(report)
    rows = report.cell_rows()
    present_tables = {c["table"] for c in rows}
    locators: dict[str, str] | None = None  # built for the first failing identity only
    for inst in instances(report.template_version):
        identity = inst.identity
        if identity.table not in present_tables:
            continue
        outcome = evaluate(inst, values)
        if outcome.status is Status.HOLDS:
            continue
        # what a finding names, built for findings only
        table = report.template.table(identity.table)
        ids = ", ".join(_cell_id(c) for c in inst.cells)
        where = _member_label(table, identity, inst.member)
        if outcome.status is Status.NOT_ASSESSABLE:
            findings.append(
                Finding(
                    report.id,
                    identity.rule,
                    "not_assessable",
                    ids,
                    "",
                    "",
                    f"{where}无法核对“{identity.description}”：{len(outcome.blanks)}个所需单元格为空或缺失"
                    f"（{_cell_id(outcome.blanks[0])}等）",
                )
            )
            continue
        left, right = outcome.left, outcome.right
        # evaluate() gives both sums whenever the identity is assessable
        assert left is not None and right is not None
        if locators is None:
            locators = {f"{c['table']}.{c['row']}.{c['column']}": str(c["locator"]) for c in rows}
        lhs_text = (
            _side(table, inst.lhs, values, identity) if len(inst.lhs) <= 4 else f"{len(inst.lhs)}项之和({fmt(left)})"
        )
        findings.append(
            Finding(
                report.id,
                identity.rule,
                "error",
                ids,
                fmt(left),
                fmt(right),
                f"{where}不符合“{identity.description}”：{lhs_text} = {fmt(left)}，"
                f"而{_rhs_text(table, inst, values, right)}，相差{fmt(abs(left - right))}，请核对原表"
                # cells read by OCR: a misread or a misprint, and which cells to look at
                + misread_note({_cell_id(c): locators.get(_cell_id(c), "") for c in inst.cells}),
            )
        )
    return findings
