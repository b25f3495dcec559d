"""How report texts speak of the tables.

The statements a sentence can make, the cells each kind of figure may mean,
and short names of cells for messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gicstats.form.template import RESULT_GROUPS, TEMPLATES, group_name, group_rows, summand_columns
from gicstats.read.values import format_number

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
        parent: For a part of an earlier figure of its sentence (``涉及自然人
            72件`` after ``收到申请75件``), that figure: its readings are the
            parent's, one for one, and it is judged in the scope the parent's
            figure agrees under.
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
    parent: Statement | None = field(default=None, repr=False, compare=False)

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


def _fmt(value: float | None) -> str:
    return format_number(value, blank="空白")


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
