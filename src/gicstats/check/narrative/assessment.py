"""Statements judged against the tables.

The table side (printed values and the blanks the identities force), and
one finding per statement that does not agree under its reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from gicstats.check.narrative.extraction import _MONEY_UNITS, extract_statements
from gicstats.check.narrative.vocabulary import _APPLICANTS, Reading, Statement, _fmt, _split, cell_name
from gicstats.form.findings import Finding
from gicstats.form.identities import CellKey, deduce_blanks, instances, parts_of
from gicstats.form.template import TEMPLATES

# --------------------------------------------------------------------------
# The table side: printed values, and blanks the identities force
# --------------------------------------------------------------------------


@dataclass
class _Sum:
    """A reading's cells summed: the known part, and what is not known."""

    known: float
    unknown: list[str]  # cells blank (or unreadable) and not forced by an identity
    absent: list[str]  # cells the reader did not find at all
    derived: list[str]  # cells whose value is a sum the identities give (blank 总计)
    parts: list[tuple[str, float]]  # (cell, value) of the known cells

    @property
    def complete(self) -> bool:
        return not self.unknown and not self.absent


class _Table:
    """Values of one report's cells, blanks filled only where forced."""

    def __init__(self, report) -> None:
        self.version = report.template_version or "2019"
        self.template = TEMPLATES[self.version]
        self.values: dict[str, float] = {}
        self.how: dict[str, str] = {}
        self.raw: dict[str, str] = {}
        self.units: dict[str, str | None] = {}
        self.present: set[str] = set()
        # the same cells keyed (table, row, column), as the identity engine takes them
        self._present_keys: set[CellKey] = set()
        self._known: dict[CellKey, float] = {}
        for cell in report.cell_rows():
            cell_key = (cell["table"], cell["row"], cell["column"])
            key = ".".join(cell_key)
            raw, unit, value = cell["raw"], cell["unit"], cell["value"]
            self.present.add(key)
            self._present_keys.add(cell_key)
            self.raw[key] = "" if raw is None else str(raw)
            self.units[key] = None if unit is None else str(unit)
            if value is not None:
                self.values[key] = self._known[cell_key] = float(value)
                self.how[key] = "printed"
        self.tables_present = {k[0] for k in self._present_keys}
        self._propagate()

    def declared(self, cell: str) -> bool:
        table, row, column = cell.split(".")
        try:
            spec = self.template.table(table)
            spec.row(row)
            spec.column(column)
        except KeyError:
            return False
        return True

    def _propagate(self) -> None:
        """Fill blanks the identities force, through the one identity engine.

        See :func:`gicstats.form.identities.deduce_blanks`: a blank is 0
        where the rest of its side already makes the other side, and a blank
        total is the sum of its known parts. Nothing else is solved for, so
        a source that breaks its identities is never "repaired" with
        invented numbers.
        """
        known = self._known
        # An instance whose cells are all printed can never change anything
        # (the engine only fills blanks): leaving it out gives the same
        # result, in the same order, for less work.
        insts = [
            i
            for i in instances(self.version)
            if i.identity.table in self.tables_present and not all(c in known for c in i.cells)
        ]
        for cell, (value, how) in deduce_blanks(insts, known, self._present_keys).items():
            key = ".".join(cell)
            self.values[key] = value
            self.how[key] = how

    def _parts_of(self, cell: str) -> tuple[str, ...] | None:
        """The cells a blank 总计 cell is the sum of, or None.

        These are the applicant columns of table 三 and the outcomes of
        table 四.
        """
        parts = parts_of(self.version, _split(cell))
        return None if parts is None else tuple(".".join(p) for p in parts)

    def total(self, cells: tuple[str, ...]) -> _Sum:
        """Sum ``cells``.

        A blank 总计 whose parts are printed counts as the sum of its parts
        (noted in ``derived``); a blank part stays unknown.
        """
        known = 0.0
        unknown: list[str] = []
        absent: list[str] = []
        derived: list[str] = []
        parts: list[tuple[str, float]] = []
        for cell in cells:
            if cell in self.values:
                known += self.values[cell]
                parts.append((cell, self.values[cell]))
                if self.how.get(cell) == "sum":
                    derived.append(cell)
                continue
            if cell not in self.present:
                absent.append(cell)
                continue
            expanded = self._parts_of(cell)
            if expanded and any(c in self.values for c in expanded):
                derived.append(cell)
                value = sum(self.values.get(c, 0.0) for c in expanded)
                known += value
                parts.append((cell, value))
                unknown += [c for c in expanded if c not in self.values]
                continue
            unknown.append(cell)
        return _Sum(known, unknown, absent, derived, parts)


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------


@dataclass
class _Outcome:
    status: str  # agree | mismatch | blank | absent
    table_value: float | None
    detail: str = ""  # how the table value was formed
    cells: tuple[str, ...] = ()


def _decimals(value: float) -> int:
    text = _fmt(value)
    return len(text.split(".")[1]) if "." in text else 0


def _rounds_to(stated: float, exact: Decimal | float) -> bool:
    """Whether ``exact`` is ``stated``, to the decimals the text prints.

    ``exact`` may be rounded half up or truncated to those decimals.
    """
    places = _decimals(stated)
    exact = exact if isinstance(exact, Decimal) else Decimal(repr(exact))
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(stated)) in (exact.quantize(quantum, ROUND_HALF_UP), exact.quantize(quantum, ROUND_DOWN))


def _percent_agrees(stated: float, exact: float) -> bool:
    return _rounds_to(stated, exact)


def _detail(table: _Table, total: _Sum) -> str:
    """How a multi-cell table figure was formed.

    ``272+3``, and which blank 总计 cells were taken as the sum of their
    applicant columns.
    """
    text = ""
    nonzero = [(c, v) for c, v in total.parts if v]
    if len(total.parts) > 1 and len(nonzero) > 1:
        text = "（" + "+".join(_fmt(v) for _, v in nonzero) + "）"
    derived = [c for c in total.derived if c.endswith(".total")]
    if derived:
        names = "、".join(cell_name(table.version, c).removesuffix("·总计") for c in derived)
        parts = "各申请人栏" if derived[0].startswith("applications.") else "各结果栏"
        text += f"（{names}的总计栏空白，按{parts}之和计）"
    if total.unknown and total.known:
        text += "（另有空白栏，按0计）"
    return text


def _assess_count(table: _Table, reading: Reading, stated: float) -> _Outcome:
    total = table.total(reading.cells)
    if total.absent and not total.parts and not total.unknown:
        return _Outcome("absent", None, cells=reading.cells)
    if not total.parts:
        return _Outcome("blank", None, cells=reading.cells)
    detail = _detail(table, total)
    if total.known > stated + 1e-9:
        return _Outcome("mismatch", total.known, detail, reading.cells)
    if abs(total.known - stated) < 1e-9:
        return _Outcome("agree", total.known, detail, reading.cells)
    if total.complete:
        return _Outcome("mismatch", total.known, detail, reading.cells)
    return _Outcome("blank", total.known, detail, reading.cells)


def _assess_amount(table: _Table, reading: Reading, stated: float, unit: str) -> list[_Outcome]:
    """An amount, in every unit the table's cell may be in."""
    cell = reading.cells[0]
    if cell not in table.present:
        return [_Outcome("absent", None, cells=reading.cells)]
    if cell not in table.values:
        return [_Outcome("blank", None, cells=reading.cells)]
    value = table.values[cell]
    cell_unit = table.units.get(cell)
    units = [cell_unit] if cell_unit in _MONEY_UNITS else ["元", "万元"]
    outcomes = []
    for u in units:
        # in the text's unit, exactly: 117.785万 and 1177850元 are the same amount
        in_text_unit = Decimal(repr(value)) * Decimal(repr(_MONEY_UNITS[u])) / Decimal(repr(_MONEY_UNITS[unit]))
        status = "agree" if _rounds_to(stated, in_text_unit) else "mismatch"
        shown = float(in_text_unit)
        if cell_unit not in _MONEY_UNITS:
            detail = f"（表中{_fmt(value)}未写单位，按{u}计）"
        else:
            detail = f"（表中{_fmt(value)}{u}）" if u != unit else ""
        outcomes.append(_Outcome(status, shown, detail, reading.cells))
    return outcomes


def _assess_percent(table: _Table, reading: Reading, stated: float) -> _Outcome:
    num = table.total(reading.cells)
    den = table.total(reading.denominator)
    if not num.parts or not den.parts:
        return _Outcome("blank", None, cells=reading.cells + reading.denominator)
    if not den.known:
        return _Outcome("blank", None, cells=reading.cells + reading.denominator)
    exact = 100 * num.known / den.known
    detail = f"（{_fmt(num.known)}/{_fmt(den.known)}）"
    if _percent_agrees(stated, exact):
        return _Outcome("agree", exact, detail, reading.cells + reading.denominator)
    if num.complete and den.complete:
        return _Outcome("mismatch", exact, detail, reading.cells + reading.denominator)
    return _Outcome("blank", exact, detail, reading.cells + reading.denominator)


def _component_hint(table: _Table, statement: Statement) -> str:
    """Where the stated number does occur in the table.

    A single cell or a sub-row of the target (258 is the 自然人 cell of
    予以公开).
    """
    stated = statement.value
    rows = []
    for cell in statement.target.cells:
        t, r, _ = cell.split(".")
        if t == "applications":
            rows.append(r)
    candidates: list[str] = []
    for r in rows:
        if len(rows) > 1 or statement.target.cells[0].endswith(".total"):
            candidates.append(f"applications.{r}.total")
        candidates += [f"applications.{r}.{c}" for c in _APPLICANTS]
    if statement.target.cells and statement.target.cells[0].startswith("review_litigation."):
        candidates += [c for c in table.values if c.startswith("review_litigation.")]
    for cell in candidates:
        if cell in statement.target.cells and len(statement.target.cells) == 1:
            continue
        if cell in table.values and table.values[cell] == stated and stated:
            return f"；正文数字恰为表中“{cell_name(table.version, cell)}”一栏"
    return ""


def _pct(value: float | None) -> str:
    return "空白" if value is None else f"{value:.2f}".rstrip("0").rstrip(".") + "%"


def _value_text(statement: Statement, value: float | None) -> str:
    if statement.kind == "percent":
        return _pct(value)
    return f"{_fmt(value)}{statement.unit}" if value is not None else "空白"


def _finding(report, statement: Statement, severity: str, outcome: _Outcome, message: str) -> Finding:
    places = 2 if statement.kind == "percent" else 6
    expected = "" if outcome.table_value is None else _fmt(round(outcome.table_value, places))
    return Finding(
        report_id=report.id,
        rule=f"narrative.{statement.what}",
        severity=severity,
        cells=", ".join(outcome.cells),
        expected=expected,
        actual=_fmt(statement.value),
        message=message,
    )


def _judge(report, table: _Table, statement: Statement, outcomes: list[tuple[Reading, _Outcome]], established: bool):
    """The finding for one statement, given its readings' outcomes (or None)."""
    first_reading, first = outcomes[0]
    said = f"正文“{statement.excerpt}”"
    stated = _value_text(statement, statement.value)
    if first.status == "agree":
        return None
    others = [(r, o) for r, o in outcomes[1:] if o.status == "agree"]
    if others and statement.ambiguous:
        return None  # no reading is preferred, and one agrees
    if first.status in ("blank", "absent"):
        if others:
            return None
        where = "未读到" if first.status == "absent" else "为空白或无法读取"
        raw = sorted({table.raw.get(c, "") for c in first.cells if table.raw.get(c)})
        run = f"（表中原文“{raw[0]}”）" if len(raw) == 1 and len(raw[0]) > 3 else ""
        lower = f"，已知部分为{_value_text(statement, first.table_value)}" if first.table_value is not None else ""
        msg = f"{said}称{statement.claim}{stated}，但表中“{first_reading.label}”{where}{run}{lower}，无法核对"
        return _finding(report, statement, "not_assessable", first, msg)
    if others and statement.kind == "percent":
        reading, other = others[0]
        msg = (
            f"{said}中{stated}的分母口径不明：按“{first_reading.denominator_label}”为{_pct(first.table_value)}"
            f"{first.detail}，不符；按“{reading.denominator_label}”为{_pct(other.table_value)}{other.detail}，一致。"
            "请在正文写明分母"
        )
        return _finding(report, statement, "warning", first, msg)
    if others:
        reading, other = others[0]
        first_value = _value_text(statement, first.table_value)
        other_value = _value_text(statement, other.table_value)
        msg = (
            f"{said}口径不明：按“{first_reading.label}”表中为{first_value}{first.detail}，"
            f"与正文{stated}不符；按“{reading.label}”为{other_value}，一致。请在正文写明口径"
        )
        return _finding(report, statement, "warning", first, msg)
    hint = "" if statement.kind == "percent" else _component_hint(table, statement)
    assessed = [(r, o) for r, o in outcomes if o.status == "mismatch"]
    if statement.kind == "percent":
        base = f"“{first_reading.label}”/“{first_reading.denominator_label}”"
        computed = f"按表中{base}{first.detail}应为{_pct(first.table_value)}"
        severity = "error" if (not statement.ambiguous and (not statement.implicit_base or established)) else "warning"
        if severity == "warning":
            alts = "；".join(
                f"按“{r.denominator_label}”为{_pct(o.table_value)}"
                for r, o in assessed[1:]
                if _pct(o.table_value) != _pct(first.table_value)
            )
            msg = f"{said}中{stated}的分母未写明：{computed}" + (f"，{alts}" if alts else "") + "，均不一致"
        else:
            msg = f"{said}中{stated}与表不符：{computed}"
        den = table.total(first_reading.denominator)
        if (
            statement.count is not None
            and den.known
            and _percent_agrees(statement.value, 100 * statement.count / den.known)
        ):
            msg += f"（按正文自述的{_fmt(statement.count)}件计则相符，应先核对件数）"
        return _finding(report, statement, severity, first, msg)
    if statement.ambiguous and len(assessed) > 1:
        readings = "；".join(f"按“{r.label}”为{_value_text(statement, o.table_value)}{o.detail}" for r, o in assessed)
        msg = f"{said}称{statement.claim}{stated}，{statement.note}：{readings}，均与正文不符{hint}"
        return _finding(report, statement, "warning", first, msg)
    severity = "warning" if statement.ambiguous else "error"
    note = f"（{statement.note}）" if (statement.ambiguous or statement.parent is not None) and statement.note else ""
    if statement.what == "review_outcome" and statement.value == 0:
        nonzero = [(c, v) for c, v in table.total(first_reading.cells).parts if v]
        listed = "、".join(f"{cell_name(table.version, c)}{_fmt(v)}件" for c, v in nonzero)
        assert first.table_value is not None  # a mismatch always has the table's value
        msg = f"{said}，但表中{first_reading.label}共{_fmt(first.table_value)}件：{listed}"
        return _finding(report, statement, severity, first, msg)
    msg = (
        f"{said}称{statement.claim}{stated}，表中“{first_reading.label}”为"
        f"{_value_text(statement, first.table_value)}{first.detail}{note}{hint}"
    )
    return _finding(report, statement, severity, first, msg)


def _in_parent_scope(statement: Statement, agreed: int | None) -> Statement:
    """A part of an earlier figure, judged in the scope its parent agrees under.

    For example ``涉及自然人72件`` after ``收到申请75件``. Where the parent agrees under
    no reading, every reading of the part stays open and none is preferred.
    """
    parent = statement.parent
    assert parent is not None  # only a part of an earlier figure is judged in its scope
    if len(statement.readings) != len(parent.readings) or len(parent.readings) < 2:
        return statement
    if agreed is None:
        note = f"口径随上文“{parent.excerpt}”，而上文口径未定"
        return Statement(**{**statement.__dict__, "ambiguous": True, "note": note})
    reading = statement.readings[agreed]
    note = f"口径随上文“{parent.excerpt}”，按“{parent.readings[agreed].label}”"
    return Statement(**{**statement.__dict__, "readings": (reading,), "ambiguous": False, "note": note})


def compare_narrative(report, statements: list[Statement] | None = None) -> list[Finding]:
    """Compare each figure of the narrative with the report's tables.

    Args:
        report: A :class:`gicstats.Report`.
        statements: The statements to check; :func:`extract_statements` by
            default.

    Returns:
        Findings with rule ``narrative.<what>``: ``error`` for a clearly
        scoped figure the table contradicts, ``warning`` when the phrasing
        allows more than one reading (the message names them), and
        ``not_assessable`` when the cells needed are blank or missing. A
        figure that agrees gives no finding.
    """
    if statements is None:
        statements = extract_statements(report)
    table = _Table(report)
    judged: list[tuple[Statement, list[tuple[Reading, _Outcome]]]] = []
    scopes: dict[int, int | None] = {}  # id of a statement -> its first agreeing reading
    for original in statements:
        statement = original
        if statement.parent is not None:
            statement = _in_parent_scope(statement, scopes.get(id(statement.parent)))
        outcomes: list[tuple[Reading, _Outcome]] = []
        for reading in statement.readings:
            if statement.kind == "percent":
                outcomes.append((reading, _assess_percent(table, reading, statement.value)))
            elif statement.kind == "amount":
                for outcome in _assess_amount(table, reading, statement.value, statement.unit):
                    outcomes.append((reading, outcome))
            else:
                outcomes.append((reading, _assess_count(table, reading, statement.value)))
        if statement.kind == "amount" and len(outcomes) > 1:
            # the cell's unit is not printed: either unit may be meant
            if any(o.status == "agree" for _, o in outcomes):
                continue
            statement = Statement(**{**statement.__dict__, "ambiguous": True, "note": "表中金额未写单位"})
        scopes[id(original)] = next((i for i, (_, o) in enumerate(outcomes) if o.status == "agree"), None)
        judged.append((statement, outcomes))
    # A percentage whose base the text does not name is taken against （七）总计
    # for sure when its sentence states that total, or another share in the
    # sentence agrees on that base; otherwise a mismatch is only a warning.
    established = {
        s.sentence
        for s, outcomes in judged
        if (s.kind == "percent" and s.implicit_base and outcomes[0][1].status == "agree") or s.what == "results_total"
    }
    findings = []
    for statement, outcomes in judged:
        finding = _judge(report, table, statement, outcomes, statement.sentence in established)
        if finding is not None:
            findings.append(finding)
    return findings
