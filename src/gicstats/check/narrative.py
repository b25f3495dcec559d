"""The narrative against the tables: figures the text states, checked against the report's own tables.

A report's narrative (一、总体情况 and the other sections) restates many table
figures: "共受理政府信息公开申请859件", "行政处罚…处理决定数量3328件",
"予以公开及部分公开258件，占33.9%". :func:`extract_statements` finds them and
says which cells each one claims (its *readings*); :func:`compare_narrative`
compares each with the table and returns findings.

Scope rules (the mistakes peers make, ``shared/research/peers.md`` §1.1):

- 本年新收 / 共收到 / 共受理 … N件 is ``new_received`` (N), not N + 上年结转;
  only "(含上年结转 M 件)" right after the number makes it N + C. When the
  text's number is N + C without saying so, that is a warning naming both
  readings, never an error.
- 共办理 / 答复 / 办结 … N件 is ``results_total`` (（七）总计); "含上年结转 M 件"
  inside it is the carried-over count, and does not change its scope.
- A sub-row is not its group: "因本机关不掌握等原因无法提供" is the whole
  （四）无法提供 group, "因本机关不掌握相关信息无法提供" reads first as the
  sub-row 1.本机关不掌握相关政府信息, with the group as second reading.

Blank cells: a blank cell is never read as 0 on its own. Blanks are filled
only where the table's own identities (spec §6) force them: the parts of a
total that already adds up without them are 0, and a blank 总计 is the sum of
its applicant columns once those are all known. A figure whose cells are
still partly blank agrees when the known cells already make the stated number
(the text then corroborates the blanks as 0), is an error when the known
cells already exceed it (counts are never negative), and is not assessable
otherwise.

A blank 总计 cell whose applicant columns are printed is compared as the sum
of those columns, and the message says so.

Percentages: the share of a 办理结果 category is computed against （七）总计
unless the text names another base, and either rounding (half up or
truncation) to the printed decimals is accepted. A share matching only
本年新收 (or 新收 + 上年结转) is a warning naming both bases; a share matching
no base is an error when its sentence settles the base (it states the
（七）总计, or another share in it agrees on it), a warning otherwise.

Severity: ``error`` for a clearly scoped figure the table contradicts;
``warning`` when the phrasing allows another reading (the message names the
readings); ``not_assessable`` when the cells needed are blank or missing. A
figure that agrees under its reading (or, for an ambiguous phrase, under any
reading) gives no finding.

Rules (``narrative.<what>``): ``new_received``, ``carried_over_from_prev``,
``results_total``, ``carried_to_next``; ``granted``, ``partially_granted``,
``granted_or_partial``, ``withheld``, ``unable``, ``not_processed``,
``other_handling`` and the sub-rows by row id (``unable_not_held`` …), each
with a ``_share`` twin for its percentage; ``review_total``,
``litigation_total``, ``review_litigation_total``, ``review_outcome``
(均获维持, 零败诉, 被纠正 N 件, 尚未审结 N 件); ``<row>_decisions`` and
``<row>_items`` of table 二 (五)(六); ``regulations_…`` /
``normative_documents_…`` (``made``, ``published``, ``issued``,
``repealed``, ``in_force``); ``central_procurement_projects``,
``central_procurement_amount`` (2019); ``admin_fees_amount`` (2021).

>>> [s.value for s in extract_statements_from_text("本年共收到政府信息公开申请12件(含上年结转2件)。", "2021", 2021)]
[12.0, 2.0]
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pandas as pd

from gicstats.form.findings import Finding
from gicstats.form.identities import deduce_blanks, instances, parts_of
from gicstats.form.template import RESULT_GROUPS, TEMPLATES, group_name, group_rows, summand_columns

# --------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One way to read a stated figure: the sum of some table cells.

    Attributes:
        label: What the cells are, in Chinese, for messages.
        cells: Cell ids ``table.row.column`` whose sum the text states.
        denominator: For a percentage, the cells whose sum is the base.
        denominator_label: The base, in Chinese.
    """

    label: str
    cells: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    denominator_label: str = ""


@dataclass(frozen=True)
class Statement:
    """One figure the narrative states.

    Attributes:
        what: Rule suffix: the finding's rule is ``narrative.<what>``.
        claim: What the text claims, in Chinese (``予以公开及部分公开``).
        value: The number as stated (a count, a percentage, or an amount in
            ``unit``).
        kind: ``count``, ``percent`` or ``amount``.
        unit: The unit as stated: ``件``, ``条``, ``起``…, ``%``, ``元``,
            ``万元``, ``亿元``.
        readings: The cells it may claim, preferred reading first. The
            target is ``readings[0]``.
        excerpt: The phrase it came from (short).
        section: Id of the report section it came from.
        ambiguous: True when the phrasing does not fix which reading is
            meant; a figure that disagrees under every reading is then a
            warning, not an error.
        note: Why it is ambiguous, or a remark on its scope.
        sentence: Index of the sentence in the report (statements of one
            sentence share it).
        count: For a percentage, the count the text states beside it
            (``258`` in ``258件，占33.9%``).
        implicit_base: For a percentage, True when the text names no base
            (``占33.9%``); it is then taken against （七）总计.
    """

    what: str
    claim: str
    value: float
    kind: str
    unit: str
    readings: tuple[Reading, ...]
    excerpt: str
    section: str
    ambiguous: bool = False
    note: str = ""
    sentence: int = 0
    count: float | None = None
    implicit_base: bool = False

    @property
    def target(self) -> Reading:
        """The reading the statement is checked against: the first of ``readings``."""
        return self.readings[0]


# --------------------------------------------------------------------------
# Names of cells, for messages
# --------------------------------------------------------------------------

_APPS_2021 = TEMPLATES["2021"].table("applications")
_REVIEW = TEMPLATES["2021"].table("review_litigation")
_APPLICANTS = summand_columns(_APPS_2021)
_ORGS = _APPLICANTS[1:]
_APPLICANT_WORDS = (
    ("法人或其他组织", _ORGS),
    ("法人和其他组织", _ORGS),
    ("自然人", ("natural_person",)),
    ("商业企业", ("commercial",)),
    ("科研机构", ("research",)),
    ("社会公益组织", ("social_org",)),
    ("法律服务机构", ("legal_service",)),
    ("企业", ("commercial",)),
    ("法人", _ORGS),
)
_ROW_NAMES = {
    "new_received": "本年新收申请",
    "carried_over_from_prev": "上年结转申请",
    "granted": "予以公开",
    "partially_granted": "部分公开",
    "other_handling": "其他处理",
    "results_total": "办理结果（七）总计",
    "carried_to_next": "结转下年度继续办理",
}
# Form vocabulary, from the declaration
_COLUMN_NAMES = {c: _APPS_2021.column(c).label for c in _APPLICANTS}
_PROCEEDINGS = {r.id: r.label for r in _REVIEW.rows}
_OUTCOMES = {c.id: c.label for c in _REVIEW.columns}
_GROUP_NAMES = {g: group_name(g) for g in RESULT_GROUPS}


def _split(key: str) -> tuple[str, str, str]:
    table, row, column = key.split(".")
    return table, row, column


def _strip_number(label: str) -> str:
    """``1.属于国家秘密`` → ``属于国家秘密``; ``（七）总计`` → ``总计``."""
    return re.sub(r"^(?:[一二三四五六七八九十]、|[（(][一二三四五六七八九十][)）]|\d+\.)", "", label)


def _row_name(version: str, table: str, row: str) -> str:
    if table == "applications" and row in _ROW_NAMES:
        return _ROW_NAMES[row]
    if table == "review_litigation":
        return _PROCEEDINGS.get(row, row)
    try:
        label = TEMPLATES[version].table(table).row(row).label
    except KeyError:
        return row
    return re.sub(r"（.*?）$", "", _strip_number(label))


def cell_name(version: str, cell: str) -> str:
    """A short Chinese name of a cell for messages.

    >>> cell_name("2019", "applications.granted.natural_person")
    '予以公开·自然人'
    >>> cell_name("2019", "active_art20_6.admin_penalty.decisions")
    '行政处罚·处理决定数量'
    """
    table, row, column = cell.split(".")
    name = _row_name(version, table, row)
    if table == "applications":
        return name if column == "total" else f"{name}·{_COLUMN_NAMES.get(column, column)}"
    if table == "review_litigation":
        return f"{name}·{_OUTCOMES.get(column, column)}"
    try:
        col = TEMPLATES[version].table(table).column(column).label
    except KeyError:
        col = column
    return f"{name}·{col}"


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "空白"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


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
        cells = report.cells
        for table, row, column, value, raw, unit in zip(
            cells["table"], cells["row"], cells["column"], cells["value"], cells["raw"], cells["unit"], strict=True
        ):
            key = f"{table}.{row}.{column}"
            self.present.add(key)
            self.raw[key] = "" if pd.isna(raw) else str(raw)
            self.units[key] = None if pd.isna(unit) else str(unit)
            if not pd.isna(value):
                self.values[key] = float(value)
                self.how[key] = "printed"
        self.tables_present = {k.split(".")[0] for k in self.present}
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
        insts = [i for i in instances(self.version) if i.identity.table in self.tables_present]
        present = {_split(k) for k in self.present}
        known = {_split(k): v for k, v in self.values.items()}
        for cell, (value, how) in deduce_blanks(insts, known, present).items():
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
# Text: sentences and the numbers in them
# --------------------------------------------------------------------------

_COUNT_UNITS = "件|条|个|项|起|宗|次|份|篇|部|批|例"
_MONEY_UNITS = {"亿元": 1e8, "万元": 1e4, "万": 1e4, "元": 1.0}
_NUMBER = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)(余|多)?(亿元|万元|元|万|{_COUNT_UNITS})")
_NOT_A_COUNT = re.compile(r"工作日|日|天|小时|分钟|月|百分点|期|年|人|户|家|平方|米")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,])")
_HARD = set(",;。:()!?\n")
_SOFT = {"、"}
_PERCENT_AFTER = re.compile(
    r"^(?:申请)?,?\s*(?:占(?P<base>[^,;。%\d]{0,20}?)(?:的)?(?:比例|比重|比)?(?:为|达|约为)?|比例为|占比为?)"
    r"(?P<p>\d+(?:\.\d+)?)%"
)


@dataclass
class _Hit:
    """One number in a sentence, with the text around it."""

    number: float
    approx: bool
    unit: str
    start: int  # of the number
    end: int  # after the unit
    label: str  # text from the last delimiter (or count) to the number
    prefix: str  # from the last hard delimiter (or count) to the number, across 、
    suffix: str  # from the unit to the next delimiter
    segment: str  # the ;-separated piece, up to the number
    sentence: str


def _sentences(text: str) -> list[str]:
    # "165,482件" is one number (NFKC has turned "，" into "," as well, but a
    # list comma is not followed by exactly three digits and a unit)
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    return [s.strip() for s in re.split(r"(?<=[。!?])|\n", text) if s and s.strip()]


def _hits(sentence: str) -> list[_Hit]:
    out: list[_Hit] = []
    last_end = 0
    for m in _NUMBER.finditer(sentence):
        start, end = m.start(), m.end()
        if _NOT_A_COUNT.match(sentence, end):
            continue  # "20个工作日", "5个百分点": a time or a rate, not a count
        label_start = prefix_start = last_end
        for i in range(start - 1, last_end - 1, -1):
            ch = sentence[i]
            if ch in _HARD:
                label_start = max(label_start, i + 1)
                prefix_start = max(prefix_start, i + 1)
                break
            if ch in _SOFT and label_start == last_end:
                label_start = i + 1
        seg_start = sentence.rfind(";", 0, start) + 1
        stop = end
        while stop < len(sentence) and sentence[stop] not in _HARD and sentence[stop] not in _SOFT:
            stop += 1
        out.append(
            _Hit(
                number=float(m.group(1)),
                approx=bool(m.group(2)),
                unit=m.group(3),
                start=start,
                end=end,
                label=sentence[label_start:start],
                prefix=sentence[prefix_start:start],
                suffix=sentence[end:stop],
                segment=sentence[seg_start:start],
                sentence=sentence,
            )
        )
        if m.group(3) not in _MONEY_UNITS:
            last_end = end
    return out


def _excerpt(hit: _Hit) -> str:
    seg_start = hit.sentence.rfind(";", 0, hit.start) + 1
    seg_end = hit.sentence.find(";", hit.end)
    seg_end = len(hit.sentence) if seg_end < 0 else seg_end
    segment = hit.sentence[seg_start:seg_end].strip().rstrip("。")
    if len(segment) <= 50:
        return segment
    start = hit.start - len(hit.prefix)
    end = min(len(hit.sentence), hit.end + len(hit.suffix))
    text = hit.sentence[start:end].strip()
    return text if len(text) <= 60 else "…" + text[-58:]


# --------------------------------------------------------------------------
# Cells, by what the text may mean
# --------------------------------------------------------------------------


def _app(row: str, columns: tuple[str, ...] = ("total",)) -> tuple[str, ...]:
    return tuple(f"applications.{row}.{c}" for c in columns)


_group_rows = group_rows


_N = Reading("本年新收申请", _app("new_received"))
_NC = Reading("本年新收+上年结转", _app("new_received") + _app("carried_over_from_prev"))
_T = Reading("办理结果（七）总计", _app("results_total"))

# Category keywords of table 三, longest first. Each maps to (what, rows).
_SUBROWS = (
    (r"本机关不掌握", "unable_not_held"),
    (r"没有现成信息|需要?另行制作", "unable_needs_creation"),
    (r"补正后.{0,6}不明确", "unable_unclear_after_correction"),
    (r"国家秘密", "withheld_state_secret"),
    (r"法律行政法规禁止", "withheld_law_prohibited"),
    (r"三安全一稳定", "withheld_security_stability"),
    (r"第三方合法权益", "withheld_third_party_rights"),
    (r"内部事务", "withheld_internal_affairs"),
    (r"过程性信息", "withheld_process_info"),
    (r"行政执法案卷", "withheld_enforcement_file"),
    (r"行政查询事项", "withheld_admin_query"),
    (r"信访举报投诉", "not_processed_petition_complaint"),
    (r"重复申请", "not_processed_duplicate"),
    (r"公开出版物", "not_processed_publication"),
    (r"大量反复申请", "not_processed_excessive_repeat"),
    (r"确认或重新出具", "not_processed_confirm_reissue"),
    (r"逾期不补正", "other_overdue_correction"),
    (r"逾期未按收费通知|未缴纳费用", "other_overdue_fee"),
)
_GRANTED_OR_PARTIAL = re.compile(
    r"(?:予以公开|全部公开|同意公开)(?:及|和|与|、|或|以及)部分公开|全部或部分公开|公开及部分公开"
)
_CATEGORIES = (
    ("withheld", re.compile(r"不予公开")),
    ("unable", re.compile(r"无法提供")),
    ("not_processed", re.compile(r"不予处理")),
    ("other_handling", re.compile(r"其他处理")),
    ("partially_granted", re.compile(r"部分公开")),
    ("granted", re.compile(r"(?<!不)予以公开|全部公开|同意公开")),
)
_RECEIVE = re.compile(r"新收|收到|受理|接收|接到|新增")
_ANSWER = re.compile(r"办结|答复|办复|回复|办理完毕|处理完毕|共办理|办理了|已办理|办理")
_TO_NEXT = r"(?:结转|顺延|转入|转至|转到)(?:至|到)?(?:下一?年度?|次年|{next}年)|下一?年度?继续办理|结转下年"
_FROM_PREV = re.compile(r"上一?年度?(?:结转|遗留)|结转自上年|从上年结转")
_WITH_PREV = re.compile(
    r"^(?:申请)?(?:\(\s*(?:其中)?(?:含|包括)?|,\s*(?:其中含|其中包括|其中|含|包括))上一?年度?(?:结转|遗留)"
)

_ACTIVE_SUBJECTS = (
    ("其他对外管理服务事项", "active_art20_5", "other_external_services"),
    ("行政许可", "active_art20_5", "admin_licensing"),
    ("行政处罚", "active_art20_6", "admin_penalty"),
    ("行政强制", "active_art20_6", "admin_coercion"),
)
_ACTIVE_RE = re.compile("|".join(s for s, _, _ in _ACTIVE_SUBJECTS))
_DOC_RE = re.compile(r"(?<!部门)(?<!部门行政)(?:行政)?(规范性文件|规章)")
_DOC_VERBS = (
    ("in_force", re.compile(r"现行有效|有效")),
    ("repealed", re.compile(r"废止|宣布失效|失效")),
    ("made", re.compile(r"制发|新制作|制作|制定|出台|印发")),
    ("published", re.compile(r"公开|发布|公布")),
)
_CUMULATIVE = re.compile(r"累计|截至|截止|总数|总计|共有|现有|历年")
_PROC_RE = re.compile(r"复议后起诉|直接起诉|未经复议|行政复议|复议|行政诉讼|诉讼|起诉")
_OUTCOME_RES = (
    ("pending", re.compile(r"尚未审结|未审结|未结|审理中|正在审理|尚在审理|未办结")),
    ("corrected", re.compile(r"纠正|纠错|撤销|败诉|确认违法")),
    ("other", re.compile(r"其他结果")),
    ("upheld", re.compile(r"维持")),
)
_ALL_UPHELD = re.compile(r"均(?:获|被|予|予以|获得)?维持|全部(?:获得?|被|予以)?维持|全部维持")
_NO_LOSS = re.compile(r"零败诉|无败诉|未败诉|(?:均|都)?(?:未|没有)被纠(?:错|正)|无一(?:起|件)?被纠(?:错|正)")


def _procs(text: str) -> tuple[str, ...]:
    """Proceedings a text names, in table 四's row ids."""
    if "复议后起诉" in text:
        return ("lit_after_review",)
    if "直接起诉" in text or "未经复议" in text:
        return ("lit_direct",)
    review = "复议" in text
    lit = "诉讼" in text or "起诉" in text
    if review and lit:
        return ("review", "lit_direct", "lit_after_review")
    if review:
        return ("review",)
    if lit:
        return ("lit_direct", "lit_after_review")
    return ()


def _proc_label(procs: tuple[str, ...]) -> str:
    if procs == ("review",):
        return "行政复议"
    if procs == ("lit_direct", "lit_after_review"):
        return "行政诉讼"
    if procs == ("review", "lit_direct", "lit_after_review"):
        return "行政复议和行政诉讼"
    return "行政诉讼（" + "、".join(_PROCEEDINGS[p] for p in procs) + "）"


def _rl(procs: tuple[str, ...], outcomes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"review_litigation.{p}.{o}" for p in procs for o in outcomes)


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------


@dataclass
class _Context:
    version: str
    year: int | None
    section: str
    sentence_index: int
    previous_sentence: str
    statements: list[Statement] = field(default_factory=list)  # of this sentence so far

    @property
    def next_year(self) -> str:
        return str(self.year + 1) if self.year else r"\d{4}"


def _this_year(text: str, year: int | None) -> bool:
    if year is not None and re.search(rf"{year}年(?!\d)", text):
        return True
    return bool(re.search(r"本年|今年|全年|年内|当年", text))


def _statement(ctx: _Context, hit: _Hit, what: str, claim: str, readings, *, ambiguous=False, note="") -> Statement:
    kind = "amount" if hit.unit in _MONEY_UNITS else "count"
    return Statement(
        what=what,
        claim=claim,
        value=hit.number,
        kind=kind,
        unit=hit.unit,
        readings=tuple(readings),
        excerpt=_excerpt(hit),
        section=ctx.section,
        ambiguous=ambiguous,
        note=note,
        sentence=ctx.sentence_index,
    )


_SCOPE = re.compile(r"政府信息|信息公开")


def _scoped(ctx: _Context, sentence: str) -> bool:
    """Whether review and litigation counts in ``sentence`` are the ones of table 四.

    Table 四 counts the cases caused by information disclosure, not the
    agency's other cases (a 司法局 reports its 行政复议 work in the same
    sections).
    """
    return bool(_SCOPE.search(sentence)) or ctx.section == "review_litigation"


def _procs_before(text: str, *, stop_at_outcome: bool) -> tuple[str, ...]:
    """Proceedings named just before a phrase.

    The clauses back to the start of its ``;`` segment, stopping (if asked) at
    a clause that gives outcomes, which belongs to an earlier proceeding
    (``行政复议3件,其中维持2件,尚未审结1件,行政诉讼2件,均获维持``: only the 行政诉讼
    are "均获维持").
    """
    segment = text.split(";")[-1]
    clauses = segment.split(",")
    named: set[str] = set()
    for i, clause in enumerate(reversed(clauses)):
        if stop_at_outcome and i > 0 and re.search(r"维持|纠正|纠错|审结|败诉|审理", clause):
            break
        named.update(_procs(clause))
    return tuple(p for p in _PROCEEDINGS if p in named)


def _review_statement(ctx: _Context, hit: _Hit) -> Statement | None:
    if hit.unit not in ("件", "起", "宗", "个", "次", "例"):
        return None
    prefix = hit.prefix
    if "复议机关" in prefix or not _scoped(ctx, hit.sentence):
        return None
    outcome = next((o for o, rx in _OUTCOME_RES if rx.search(prefix)), None)
    procs = _procs(prefix)
    if not procs:
        if outcome is None:
            return None
        before = hit.sentence[: hit.start - len(prefix)]
        mentions = list(_PROC_RE.finditer(before))
        if not mentions:
            return None
        procs = _procs(mentions[-1].group(0))
    name = _proc_label(procs)
    if outcome is None:
        if procs == ("review",):
            what = "review_total"
        elif "review" not in procs:
            what = "litigation_total"
        else:
            what = "review_litigation_total"
        reading = Reading(f"{name}总计", _rl(procs, ("total",)))
        return _statement(ctx, hit, what, f"{name}案件", [reading])
    reading = Reading(f"{name}{_OUTCOMES[outcome]}", _rl(procs, (outcome,)))
    return _statement(ctx, hit, "review_outcome", f"{name}{_OUTCOMES[outcome]}", [reading])


def _active_statement(ctx: _Context, hit: _Hit) -> Statement | None:
    tables = TEMPLATES[ctx.version].table_ids
    label, segment = hit.label, hit.segment
    # 政府集中采购 (2019 template only)
    if "active_art20_9" in tables and "集中采购" in segment:
        if hit.unit in _MONEY_UNITS and re.search(r"金额|资金|采购|共计|合计|总额", hit.prefix):
            reading = Reading("政府集中采购·采购总金额", ("active_art20_9.central_procurement.total_amount",))
            return _statement(ctx, hit, "central_procurement_amount", "政府集中采购金额", [reading])
        if hit.unit in ("个", "项", "条", "批", "次", "宗", "件") and "采购" in hit.prefix:
            ambiguous = "信息" in hit.prefix
            reading = Reading("政府集中采购·采购项目数量", ("active_art20_9.central_procurement.project_count",))
            note = "正文说的是采购信息条数，按采购项目数量核对" if ambiguous else ""
            return _statement(
                ctx, hit, "central_procurement_projects", "政府集中采购项目", [reading], ambiguous=ambiguous, note=note
            )
        return None
    if hit.unit in _MONEY_UNITS:
        fee = "active_art20_8.admin_fees.fee_amount_wan_yuan"
        if (
            ctx.version == "2021"
            and "行政事业性收费" in segment
            and not re.search(r"信息处理费", segment)
            and re.search(r"收费|金额|共计|合计", hit.prefix)
        ):
            reading = Reading("行政事业性收费·本年收费金额", (fee,))
            return _statement(ctx, hit, "admin_fees_amount", "行政事业性收费金额", [reading])
        return None
    # 规章 / 规范性文件
    docs = list(_DOC_RE.finditer(label))
    if docs:
        return _document_statement(ctx, hit, docs[-1])
    # 行政许可 / 行政处罚 / 行政强制 / 其他对外管理服务事项
    subjects = list(_ACTIVE_RE.finditer(label))
    if len(subjects) > 1:
        return None  # "行政许可、行政处罚等决定N件": several rows at once
    if not subjects and re.search(r"决定|办件", label):
        subjects = list(_ACTIVE_RE.finditer(segment))[-1:]
    if not subjects:
        return None
    word = subjects[-1].group(0)
    table, row = next((t, r) for s, t, r in _ACTIVE_SUBJECTS if s == word)
    try:
        TEMPLATES[ctx.version].table(table).row(row)
    except KeyError:
        return None
    after = label[subjects[-1].end() :] if subjects[-1].group(0) in label else label
    name = _row_name(ctx.version, table, row)
    decisions = Reading(f"{name}·处理决定数量", (f"{table}.{row}.decisions",))
    if re.search(r"决定|办件", label):
        published = "公开" in label
        note = "正文说的是公开的决定，表中处理决定数量含未公开的决定" if published else ""
        return _statement(ctx, hit, f"{row}_decisions", f"{name}处理决定", [decisions], ambiguous=published, note=note)
    plain = re.fullmatch(r"(?:事项|案件)?(公开)?(?:共|共计|为)?", after)
    if plain is None or subjects[-1].group(0) not in label:
        return None
    if ctx.version == "2019" and hit.unit in ("条", "项", "个"):
        items = Reading(f"{name}·上一年项目数量", (f"{table}.{row}.prev_year_items",))
        now = Reading(
            f"{name}·上一年项目数量+本年增/减", (f"{table}.{row}.prev_year_items", f"{table}.{row}.items_change")
        )
        return _statement(
            ctx,
            hit,
            f"{row}_items",
            f"{name}事项",
            [items, now],
            ambiguous=True,
            note="正文未说明是上一年项目数量还是本年项目数量",
        )
    if hit.unit in ("件", "起", "宗"):
        return _statement(
            ctx,
            hit,
            f"{row}_decisions",
            f"{name}",
            [decisions],
            ambiguous=True,
            note="正文未写明“处理决定”，按处理决定数量核对",
        )
    return None


def _not_own_documents(hit: _Hit, subject: re.Match) -> bool:
    """Whether the documents counted are not the agency's own regulations or normative documents.

    Such as documents reviewed, filed or interpreted, a gazette's contents, or
    a count in units that do not count documents.
    """
    label = hit.label
    between = label[subject.end() :]
    if re.search(r"等|类|解读|意见|备案|审查|审核|目录|库", between) or len(between) > 6:
        return True
    if re.search(r"审核|审查|备案|清理(?!.*现行有效)|解读|征求意见|合法性|起草", label[: subject.start()]):
        return True
    # a gazette's contents ("编发公报24期,刊登政府规章、规范性文件等112件") are
    # not the agency's own documents; a gazette as a channel ("通过《…公报》等
    # 平台主动公开规章13件") is fine
    if re.search(r"刊登|编发|收录|解读|备案审查|合法性审查", hit.segment):
        return True
    return hit.unit not in ("件", "条", "个", "份", "部", "项")


def _document_verb(hit: _Hit) -> str | None:
    """What was done with the documents (a kind of :data:`_DOC_VERBS`), from the nearest text that says.

    The label is searched first, then the prefix, then the whole segment.
    """
    for text in (hit.label, hit.prefix, hit.segment):
        found = [(m.start(), kind) for kind, rx in _DOC_VERBS for m in rx.finditer(text)]
        if text is hit.segment:
            # across list items: the last verb before the number
            found = sorted(found)[-1:]
        else:
            order = [k for k, _ in _DOC_VERBS]
            found = sorted(found, key=lambda f: order.index(f[1]))[:1]
        if found:
            return found[0][1]
    return None


def _document_statement(ctx: _Context, hit: _Hit, subject: re.Match) -> Statement | None:
    if _not_own_documents(hit, subject):
        return None
    row = "regulations" if subject.group(1) == "规章" else "normative_documents"
    name = "规章" if row == "regulations" else "规范性文件"
    verb = _document_verb(hit)
    if verb is None:
        return None
    t = "active_art20_1"

    def r(column: str) -> Reading:
        return Reading(f"{name}·{TEMPLATES[ctx.version].table(t).column(column).label}", (f"{t}.{row}.{column}",))

    cumulative = bool(_CUMULATIVE.search(hit.prefix))
    this_year = _this_year(hit.segment, ctx.year)
    if ctx.version == "2019":
        if verb == "made":
            return _statement(ctx, hit, f"{row}_made", f"新制作{name}", [r("new_made")])
        if verb != "published":
            return None
        if cumulative:
            return _statement(ctx, hit, f"{row}_published", f"累计公开{name}", [r("total_published")])
        if this_year:
            return _statement(ctx, hit, f"{row}_published", f"本年公开{name}", [r("new_published")])
        return _statement(
            ctx,
            hit,
            f"{row}_published",
            f"公开{name}",
            [r("new_published"), r("total_published")],
            ambiguous=True,
            note="正文未说明是本年新公开还是对外公开总数",
        )
    if verb == "made":
        return _statement(ctx, hit, f"{row}_issued", f"本年制发{name}", [r("issued")])
    if verb == "repealed":
        return _statement(ctx, hit, f"{row}_repealed", f"废止{name}", [r("repealed")])
    if verb == "in_force":
        # "设立规范性文件库,清理并集中发布现行有效…393件" counts a library,
        # which may hold fewer units' documents than the table
        library = bool(re.search(r"文件库|数据库|集中发布|清理", hit.segment))
        note = "正文说的是清理后集中发布（入库）的件数" if library else ""
        return _statement(ctx, hit, f"{row}_in_force", f"现行有效{name}", [r("in_force")], ambiguous=library, note=note)
    readings = [r("in_force"), r("issued")] if cumulative else [r("issued"), r("in_force")]
    return _statement(
        ctx,
        hit,
        f"{row}_published",
        f"公开{name}",
        readings,
        ambiguous=True,
        note="2021年版表中无“公开”栏，正文未说明是本年制发还是现行有效",
    )


def _application_statement(ctx: _Context, hit: _Hit) -> Statement | None:
    label, prefix, suffix = hit.label, hit.prefix, hit.suffix
    if hit.unit not in ("件", "个", "起", "宗", "条"):
        return None
    context = "申请" in hit.sentence or "申请" in ctx.previous_sentence or ctx.section == "applications"
    if not context:
        return None
    version = ctx.version
    # 结转下年度 / 顺延到下年度
    if re.search(_TO_NEXT.format(next=ctx.next_year), prefix + suffix):
        return _statement(
            ctx, hit, "carried_to_next", "结转下年度继续办理", [Reading("结转下年度继续办理", _app("carried_to_next"))]
        )
    # 上年结转 (but "共收到…(含上年结转)" is handled below as N + C)
    if _FROM_PREV.search(label) and not _RECEIVE.search(label.split("含")[0] if "含" in label else ""):
        return _statement(
            ctx, hit, "carried_over_from_prev", "上年结转", [Reading("上年结转申请", _app("carried_over_from_prev"))]
        )
    # 办理结果 categories
    m = _GRANTED_OR_PARTIAL.search(label)
    if m:
        rows = ("granted", "partially_granted")
        return _statement(
            ctx,
            hit,
            "granted_or_partial",
            "予以公开及部分公开",
            [Reading("予以公开+部分公开", tuple(c for r in rows for c in _app(r)))],
        )
    for pattern, row in _SUBROWS:
        sub = re.search(pattern, label)
        if sub:
            return _subrow_statement(ctx, hit, row, sub)
    for group, rx in _CATEGORIES:
        if not rx.search(label):
            continue
        if group in ("granted", "partially_granted"):
            return _statement(ctx, hit, group, _ROW_NAMES[group], [Reading(_ROW_NAMES[group], _app(group))])
        return _statement(ctx, hit, group, _GROUP_NAMES[group], [_group_reading(version, group)])
    # breakdown by applicant, after a received / answered total in the same sentence
    for word, columns in _APPLICANT_WORDS:
        if re.search(rf"{word}(?:提出的?|提交的?)?(?:申请)?(?:共|为)?$", label):
            return _applicant_statement(ctx, hit, word, columns)
    return _total_statement(ctx, hit)


def _total_statement(ctx: _Context, hit: _Hit) -> Statement | None:
    """A total of applications received (with or without those carried over) or answered; None if neither.

    Not in a sentence about review or litigation, nor where one verb says both
    (受理并办结).
    """
    label, prefix, suffix = hit.label, hit.prefix, hit.suffix
    if re.search(r"复议|诉讼", prefix):
        return None
    receive = _RECEIVE.search(prefix)
    answer = _ANSWER.search(prefix)
    if receive and answer:
        return None  # "受理并办结…": both at once
    # "…收到70件申请,及时依法依规办结69件": the verb right before the number
    # takes its object from the sentence; "回复网民留言200条" does not.
    bare = re.search(r"(?:办结|答复|办复|办理完毕|处理完毕)(?:了)?(?:共|共计|合计)?$", label)
    if answer and ("申请" in prefix + suffix or (bare and "申请" in hit.segment)):
        return _statement(ctx, hit, "results_total", "办结（答复）申请", [_T])
    if receive and "申请" in prefix + suffix:
        with_prev = bool(re.search(r"(?:含|包括|加上|连同)上一?年度?(?:结转|遗留)", prefix)) or bool(
            _WITH_PREV.match(hit.sentence[hit.end :])
        )
        if with_prev:
            return _statement(ctx, hit, "new_received", "收到申请（含上年结转）", [_NC])
        if "新收" in prefix or "新增" in prefix:
            return _statement(ctx, hit, "new_received", "本年新收申请", [_N])
        return _statement(ctx, hit, "new_received", "收到申请", [_N, _NC])
    if re.search(r"申请(?:数量|总数|总量|数)(?:为|共|共计|达|合计)?$", label) and not answer:
        return _statement(
            ctx, hit, "new_received", "申请数量", [_N, _NC], ambiguous=True, note="正文未说明是否含上年结转"
        )
    return None


def _subrow_statement(ctx: _Context, hit: _Hit, row: str, sub: re.Match) -> Statement | None:
    """A count of one numbered item of a result group (``row``), whose name ``sub`` matched in the label.

    When the label goes on to name the item's group, the figure may be the
    group's (ambiguous), or is the group's when an 等 follows the item.
    """
    version, label = ctx.version, hit.label
    if row not in TEMPLATES[version].table("applications").row_ids:
        return None
    group = next((g for g in _GROUP_NAMES if row in _group_rows(version, g)), None)
    assert group is not None, row  # every numbered item of table 三 is under a result group
    group_match = next((rx for g, rx in _CATEGORIES if g == group), None)
    name = _row_name(version, "applications", row)
    sub_reading = Reading(f"{_GROUP_NAMES[group]}·{name}", _app(row))
    if group_match is not None and group_match.search(label[sub.end() :]):
        # "因本机关不掌握等原因无法提供": the group, naming one reason
        group_reading = _group_reading(version, group)
        if re.match(r"[^,;。]{0,6}?等", label[sub.end() :]):
            return _statement(ctx, hit, group, _GROUP_NAMES[group], [group_reading])
        return _statement(
            ctx,
            hit,
            group,
            _GROUP_NAMES[group],
            [sub_reading, group_reading],
            ambiguous=True,
            note=f"正文同时提到“{sub.group(0)}”和“{_GROUP_NAMES[group]}”",
        )
    return _statement(ctx, hit, row, name, [sub_reading])


def _applicant_statement(ctx: _Context, hit: _Hit, word: str, columns: tuple[str, ...]) -> Statement | None:
    """A count of the applicants ``word`` names, within the received or answered total stated before it.

    None when no such total was stated earlier in the text.
    """
    base = next((s for s in reversed(ctx.statements) if s.what in ("new_received", "results_total")), None)
    if base is None:
        return None
    row = base.target.cells[0].split(".")[1]
    cells = tuple(f"applications.{row}.{c}" for c in columns)
    label_name = f"{_ROW_NAMES[row]}·{word}"
    return _statement(ctx, hit, base.what, label_name, [Reading(label_name, cells)])


def _group_reading(version: str, group: str) -> Reading:
    rows = _group_rows(version, group)
    return Reading(_GROUP_NAMES[group], tuple(c for r in rows for c in _app(r)))


def _percent_statement(ctx: _Context, hit: _Hit, count: Statement) -> Statement | None:
    if not count.target.cells or not count.target.cells[0].startswith("applications."):
        return None
    if count.what in ("new_received", "results_total", "carried_over_from_prev", "carried_to_next"):
        return None
    m = _PERCENT_AFTER.match(hit.sentence[hit.end :])
    if not m:
        return None
    base = (m.group("base") or "").strip()
    numerator = count.target
    if re.search(r"办结|答复|办理|处理", base):
        denominators, ambiguous, note = [_T], False, ""
    elif re.search(r"收到|受理|新收|申请", base):
        denominators, ambiguous, note = [_N, _NC, _T], True, f"百分比的分母“{base}”口径不明"
    else:
        denominators, ambiguous, note = [_T, _N, _NC], False, ""
    readings = tuple(Reading(numerator.label, numerator.cells, d.cells, d.label) for d in denominators)
    end = hit.end + m.end()
    excerpt = count.excerpt if m.group(0) in count.excerpt else hit.sentence[hit.start - len(hit.label) : end]
    return Statement(
        what=f"{count.what}_share",
        claim=f"{count.claim}所占比例",
        value=float(m.group("p")),
        kind="percent",
        unit="%",
        readings=readings,
        excerpt=excerpt,
        section=ctx.section,
        ambiguous=ambiguous,
        note=note or ("" if base else "分母未写明，按（七）总计计算"),
        sentence=ctx.sentence_index,
        count=count.value,
        implicit_base=not base,
    )


def _zero_statements(ctx: _Context, sentence: str) -> list[Statement]:
    """Statements without digits.

    均获维持, 零败诉, 无一件申请, 没有…行政复议, 无结转.
    """
    out: list[Statement] = []
    m: re.Match[str] | None

    def add(what, claim, readings, excerpt) -> None:
        out.append(
            Statement(
                what=what,
                claim=claim,
                value=0.0,
                kind="count",
                unit="件",
                readings=tuple(readings),
                excerpt=excerpt,
                section=ctx.section,
                sentence=ctx.sentence_index,
            )
        )

    scoped = _scoped(ctx, sentence)
    for m in _ALL_UPHELD.finditer(sentence):
        procs = _procs_before(sentence[: m.start()], stop_at_outcome=True)
        if not procs or not scoped:
            continue
        name = _proc_label(procs)
        add(
            "review_outcome",
            f"{name}{m.group(0)}（结果纠正、其他结果、尚未审结均为0）",
            [Reading(f"{name}未获维持（结果纠正+其他结果+尚未审结）", _rl(procs, ("corrected", "other", "pending")))],
            _clip(sentence, m.end()),
        )
    for m in _NO_LOSS.finditer(sentence):
        if not scoped:
            continue
        procs = _procs(m.group(0)) or _procs_before(sentence[: m.start()], stop_at_outcome=True)
        if "败诉" in m.group(0) or not procs:
            procs = ("lit_direct", "lit_after_review")
        name = _proc_label(procs)
        add(
            "review_outcome",
            f"{name}{m.group(0)}（结果纠正为0）",
            [Reading(f"{name}结果纠正", _rl(procs, ("corrected",)))],
            _clip(sentence, m.end()),
        )
    for clause in re.split(r"[,;。]", sentence):
        m = re.search(r"(?:没有|未发生|未出现|未有|无)[^,;。\d]{0,20}?(?:行政复议|复议|行政诉讼|诉讼)", clause)
        if m and scoped and not re.search(r"\d", clause[m.start() :]):
            rest = clause[m.start() :]
            named: list[tuple[str, ...]] = []
            if "复议" in rest:
                named.append(("review",))
            if "诉讼" in rest or "起诉" in rest:
                named.append(("lit_direct", "lit_after_review"))
            for procs in named:
                name = _proc_label(procs)
                what = "review_total" if procs == ("review",) else "litigation_total"
                add(what, f"{name}案件", [Reading(f"{name}总计", _rl(procs, ("total",)))], clause.strip())
            continue
        m = re.search(r"(?:无一件|未收到|没有收到|未接到|没有接到|无任何|没有任何)[^,;。\d]{0,12}?申请", clause)
        if m and not re.search(r"\d|复议|诉讼", clause[m.start() :]):
            add("new_received", "收到申请", [_N], clause.strip())
            continue
        m = re.search(r"(?:无|没有|不存在)(?:需要?)?(上一?年度?)?(?:结转|顺延)", clause)
        if m and not re.search(r"\d", clause[m.start() :]) and ("申请" in sentence or ctx.section == "applications"):
            if m.group(1):
                add(
                    "carried_over_from_prev",
                    "上年结转",
                    [Reading("上年结转申请", _app("carried_over_from_prev"))],
                    clause.strip(),
                )
            else:
                add(
                    "carried_to_next",
                    "结转下年度继续办理",
                    [Reading("结转下年度继续办理", _app("carried_to_next"))],
                    clause.strip(),
                )
    return out


def _clip(sentence: str, end: int) -> str:
    start = max(0, end - 40)
    text = sentence[start:end].strip()
    return text if start == 0 else "…" + text


def extract_statements_from_text(
    text: str, version: str, year: int | None, section: str = "preamble"
) -> list[Statement]:
    """The statements of one text (see :func:`extract_statements`)."""
    return _extract({section: text}, version, year)


def extract_statements(report) -> list[Statement]:
    """The figures the narrative of ``report`` states, in text order.

    Every section is read (``preamble`` too: a report without recognised
    headings has all its text there). Approximate figures (``7700余条``)
    are skipped.
    """
    return _extract(report.sections, report.template_version or "2019", report.year)


def _extract(sections: dict[str, str], version: str, year: int | None) -> list[Statement]:
    out: list[Statement] = []
    index = 0
    for section, text in sections.items():
        text = unicodedata.normalize("NFKC", text)
        previous = ""
        for sentence in _sentences(text):
            index += 1
            ctx = _Context(version, year, section, index, previous)
            for hit in _hits(sentence):
                if hit.approx:
                    continue
                statement = (
                    _review_statement(ctx, hit) or _active_statement(ctx, hit) or _application_statement(ctx, hit)
                )
                if statement is None:
                    continue
                ctx.statements.append(statement)
                percent = _percent_statement(ctx, hit, statement)
                if percent is not None:
                    ctx.statements.append(percent)
            ctx.statements.extend(_zero_statements(ctx, sentence))
            out.extend(ctx.statements)
            previous = sentence
    return out


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
    """How a multi-cell table figure was formed, such as ``272+3``.

    Also names the blank 总计 cells that were taken as the sum of their
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
    note = f"（{statement.note}）" if statement.ambiguous and statement.note else ""
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
    for statement in statements:
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


__all__ = [
    "Reading",
    "Statement",
    "cell_name",
    "compare_narrative",
    "extract_statements",
    "extract_statements_from_text",
]
