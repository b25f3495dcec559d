"""The official report format, declared once as data.

Both versions of the State Council template (国办公开办函〔2019〕60号 and
〔2021〕30号) are declared here: every table, row and column with its id,
its printed label, the aliases seen in real reports and its unit. Label
matching, dtypes, display labels and the checks all derive from this module.
Ids follow ``shared/spec/template.md`` §8.

Adding a provincial variant should mean adding an alias here, not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from gicstats.form.nfkc import nfkc
from gicstats.form.radicals import fold_radicals

VERSIONS = ("2019", "2021")

# --------------------------------------------------------------------------
# Normalisation of printed labels
# --------------------------------------------------------------------------

# Word-level replacements applied before character conversion. The Wuhan
# traditional-character mirror turned 文件 into 檔案 (規範性檔案).
WORD_ALIASES = {"檔案": "文件", "档案": "文件"}

# Traditional -> simplified for the characters that occur in template labels
# and section headings. Only characters whose traditional form differs.
_TRAD = (
    "規规 範范 門门 處处 罰罚 強强 許许 項项 數数 決决 費费 務务 業业 採采 購购 額额 總总 計计 "
    "請请 況况 結结 轉转 辦办 開开 區区 這这 屬属 國国 護护 權权 類类 過过 執执 詢询 無无 關关 "
    "沒没 現现 補补 確确 訪访 舉举 報报 訴诉 複复 復复 當当 認认 獲获 繳缴 納纳 維维 糾纠 審审 "
    "議议 訟讼 經经 機机 構构 會会 組组 織织 減减 對对 條条 發发 廢废 單单 萬万 資资 訊讯 題题 "
    "問问 進进 動动 應应 該该 況况 據据 產产 實实 與与 體体 為为 裡里 後后 從从 來来 時时 種种 "
    "號号 範范 檔档 穩稳 險险 製制 內内 們们 個个 態态 際际 護护 險险 麼么 設设 區区 級级 縣县 "
    "鎮镇 鄉乡 將将 兩两 並并 圖图 幣币 價价 優优 協协 處处 準准 錄录 頁页 導导 財财 稅税 養养 "
    "衛卫 醫医 藥药 環环 境境 態态 廳厅 務务 監监 督督 總总 護护 劃划 數数 號号 稱称 歸归 檢检 驗验 "
    "繼继 續续 於于 係系 覆复 門门 間间 開开 閱阅 網网 戶户 區区 縣县 鄉乡 鎮镇 龍龙 壽寿 廣广 東东 雲云 貴贵 陝陕 "
    "湯汤 濟济 漢汉 瀋沈 遼辽 寧宁 蘇苏 紹绍 溫温 鄭郑 員员 見见 們们 說说 與与 辦办 麼么 專专 產产 嚴严 "
    "約约 紀纪 統统 計计 劃划 參参 態态 質质 線线 書书 長长 興兴 難难 準准 雙双 處处 華华 衛卫 證证 權权"
)
TRAD_TO_SIMP = str.maketrans({pair[0]: pair[1] for pair in _TRAD.split()})

_WS = re.compile(r"\s+")
_QUOTES = str.maketrans("", "", "“”\"'‘’「」『』")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Return the matching key of a printed label.

    NFKC folds full-width brackets, colons and digits to ASCII; CJK radicals
    become the ideographs they stand for (:mod:`gicstats.radicals`);
    traditional characters become simplified; whitespace and quotes are removed, because
    scraped labels carry line breaks (``本年新 制作数量``) and quotes vary.

    >>> normalize("（三）不予公开 ")
    '(三)不予公开'
    >>> normalize("規範性檔案")
    '规范性文件'
    """
    text = fold_radicals(nfkc(text))
    for old, new in WORD_ALIASES.items():
        text = text.replace(old, new)
    text = text.translate(TRAD_TO_SIMP).translate(_QUOTES)
    return _WS.sub("", text)


# --------------------------------------------------------------------------
# Declaration types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One value column of a table.

    Attributes:
        id: Stable id (spec §8).
        label: The label as printed in the template.
        unit: Unit of the values; ``None`` where the template states none.
        dtype: ``"count"`` (integer), ``"signed"`` (integer that may be
            negative) or ``"amount"`` (decimal money).
        aliases: Other printed forms seen in real reports.
    """

    id: str
    label: str
    unit: str | None = "件"
    dtype: str = "count"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One row of a table. ``group`` names the printed group label it sits under."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()
    group: str | None = None
    local: bool = False  # a provincial variant's extra row, not in the national form


@dataclass(frozen=True)
class Table:
    """One table of the template.

    Attributes:
        id: Table id (spec §8.1).
        title: Heading printed above it (sub-table heading for table 二).
        section: Id of the report section that holds it.
        rows: Data rows, in printed order.
        columns: Value columns, in printed order.
        anchors: Labels that open the table in a document.
        groups: Printed group labels that carry no numbers.
        headers: Other printed header labels (column groups, notes).
        single_line: True for table 四: no row labels, one printed line of
            ``len(rows) * len(columns)`` values in row-major order.
    """

    id: str
    title: str
    section: str
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    anchors: tuple[str, ...]
    groups: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    single_line: bool = False

    def row(self, row_id: str) -> Row:
        """The row with id ``row_id``.

        Raises:
            KeyError: the table has no such row.
        """
        for row in self.rows:
            if row.id == row_id:
                return row
        raise KeyError(f"{self.id} has no row {row_id!r}")

    def column(self, column_id: str) -> Column:
        """The column with id ``column_id``.

        Raises:
            KeyError: the table has no such column.
        """
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(f"{self.id} has no column {column_id!r}")

    @property
    def row_ids(self) -> tuple[str, ...]:
        """The ids of the rows, in printed order."""
        return tuple(r.id for r in self.rows)

    @property
    def column_ids(self) -> tuple[str, ...]:
        """The ids of the value columns, in printed order."""
        return tuple(c.id for c in self.columns)


@dataclass(frozen=True)
class Section:
    """One numbered section of a report (一、总体情况 …).

    Attributes:
        id: Section id.
        label: The heading as the template prints it.
        aliases: Other headings that name the section.
        keywords: A heading matches when, after its number, it contains one of
            these.
    """

    id: str
    label: str
    aliases: tuple[str, ...] = ()
    # a heading matches when, after its number, it contains one of these
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """One version of the official form: its tables, in printed order.

    Attributes:
        version: ``"2019"`` or ``"2021"``.
        tables: The tables, in printed order.
        notice: The notice that issued this version (国办公开办函〔2021〕30号 …).
        extra_labels: Further labels of this version besides its tables' (none
            declared so far).
    """

    version: str
    tables: tuple[Table, ...]
    notice: str
    extra_labels: tuple[str, ...] = field(default=())

    def table(self, table_id: str) -> Table:
        """The table with id ``table_id``.

        Raises:
            KeyError: the template has no such table.
        """
        for table in self.tables:
            if table.id == table_id:
                return table
        raise KeyError(f"template {self.version} has no table {table_id!r}")

    @property
    def table_ids(self) -> tuple[str, ...]:
        """The ids of the tables, in printed order."""
        return tuple(t.id for t in self.tables)


# --------------------------------------------------------------------------
# Sections (identical in both versions)
# --------------------------------------------------------------------------

SECTIONS: tuple[Section, ...] = (
    Section("overview", "一、总体情况", keywords=("总体情况",)),
    Section("active_disclosure", "二、主动公开政府信息情况", keywords=("主动公开",)),
    Section("applications", "三、收到和处理政府信息公开申请情况", keywords=("收到和处理",)),
    Section(
        "review_litigation",
        "四、政府信息公开行政复议、行政诉讼情况",
        keywords=("行政复议", "行政法复议", "行政诉讼"),
    ),
    Section(
        "problems_improvements", "五、存在的主要问题及改进情况", keywords=("存在的主要问题", "问题及改进", "存在的问题")
    ),
    Section("other_matters", "六、其他需要报告的事项", keywords=("其他需要报告",)),
)

# --------------------------------------------------------------------------
# Table 二: 主动公开政府信息情况
# --------------------------------------------------------------------------

_ITEMS_2019 = (
    Column("prev_year_items", "上一年项目数量", unit="项"),
    Column("items_change", "本年增/减", unit="项", dtype="signed", aliases=("本年增减", "本年增加/减少")),
    Column("decisions", "处理决定数量"),
)
_INFO = ("信息内容",)

_ART20_1_2019 = Table(
    "active_art20_1",
    "第二十条第（一）项",
    "active_disclosure",
    rows=(
        Row("regulations", "规章"),
        Row("normative_documents", "规范性文件", aliases=("行政规范性文件",)),
        Row("other_proactive_documents", "其他主动公开文件", local=True),
    ),
    columns=(
        Column("new_made", "本年新制作数量"),
        Column("new_published", "本年新公开数量"),
        Column("total_published", "对外公开总数量"),
    ),
    anchors=("第二十条第（一）项",),
    headers=_INFO,
)
_ART20_1_2021 = Table(
    "active_art20_1",
    "第二十条第（一）项",
    "active_disclosure",
    rows=(
        Row("regulations", "规章"),
        # 石家庄中山街道2021 prints the 2019 row label with 2021 columns.
        Row("normative_documents", "行政规范性文件", aliases=("规范性文件",)),
        Row("other_proactive_documents", "其他主动公开文件", local=True),
    ),
    columns=(
        Column("issued", "本年制发件数"),
        Column("repealed", "本年废止件数"),
        Column("in_force", "现行有效件数"),
    ),
    anchors=("第二十条第（一）项",),
    headers=_INFO,
)
_ART20_5_2019 = Table(
    "active_art20_5",
    "第二十条第（五）项",
    "active_disclosure",
    rows=(Row("admin_licensing", "行政许可"), Row("other_external_services", "其他对外管理服务事项")),
    columns=_ITEMS_2019,
    anchors=("第二十条第（五）项",),
    headers=_INFO,
)
_DECISIONS_2021 = (Column("decisions", "本年处理决定数量"),)
_ART20_5_2021 = Table(
    "active_art20_5",
    "第二十条第（五）项",
    "active_disclosure",
    rows=(Row("admin_licensing", "行政许可"),),
    columns=_DECISIONS_2021,
    anchors=("第二十条第（五）项",),
    headers=_INFO,
)
_ART20_6_ROWS = (Row("admin_penalty", "行政处罚"), Row("admin_coercion", "行政强制"))
_ART20_6_2019 = Table(
    "active_art20_6",
    "第二十条第（六）项",
    "active_disclosure",
    rows=_ART20_6_ROWS,
    columns=_ITEMS_2019,
    anchors=("第二十条第（六）项",),
    headers=_INFO,
)
_ART20_6_2021 = Table(
    "active_art20_6",
    "第二十条第（六）项",
    "active_disclosure",
    rows=_ART20_6_ROWS,
    columns=_DECISIONS_2021,
    anchors=("第二十条第（六）项",),
    headers=_INFO,
)
_ART20_8_2019 = Table(
    "active_art20_8",
    "第二十条第（八）项",
    "active_disclosure",
    rows=(Row("admin_fees", "行政事业性收费"),),
    columns=_ITEMS_2019[:2],
    anchors=("第二十条第（八）项",),
    headers=_INFO,
)
_ART20_8_2021 = Table(
    "active_art20_8",
    "第二十条第（八）项",
    "active_disclosure",
    rows=(Row("admin_fees", "行政事业性收费"),),
    columns=(
        Column(
            "fee_amount_wan_yuan",
            "本年收费金额（单位：万元）",
            unit="万元",
            dtype="amount",
            aliases=("本年收费金额",),
        ),
    ),
    anchors=("第二十条第（八）项",),
    headers=_INFO,
)
_ART20_9_2019 = Table(
    "active_art20_9",
    "第二十条第（九）项",
    "active_disclosure",
    rows=(Row("central_procurement", "政府集中采购"),),
    columns=(
        Column("project_count", "采购项目数量", unit="项"),
        # The template states no unit; reports write 元 or 万 in the cell.
        Column("total_amount", "采购总金额", unit=None, dtype="amount"),
    ),
    anchors=("第二十条第（九）项",),
    headers=_INFO,
)

# --------------------------------------------------------------------------
# Table 三: 收到和处理政府信息公开申请情况
# --------------------------------------------------------------------------

_APPLICANTS = (
    Column("natural_person", "自然人"),
    Column("commercial", "商业企业"),
    Column("research", "科研机构"),
    Column("social_org", "社会公益组织"),
    Column("legal_service", "法律服务机构"),
    Column("other", "其他"),
    Column("total", "总计", aliases=("合计",)),
)
_RESULTS = "三、本年度办理结果"
_W, _U, _N, _O = "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"


def _application_rows(version: str) -> tuple[Row, ...]:
    head = (
        Row("new_received", "一、本年新收政府信息公开申请数量"),
        Row("carried_over_from_prev", "二、上年结转政府信息公开申请数量"),
        Row("granted", "（一）予以公开", group=_RESULTS),
        Row(
            "partially_granted",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            aliases=("（二）部分公开",),
            group=_RESULTS,
        ),
        Row("withheld_state_secret", "1.属于国家秘密", group=_W),
        Row("withheld_law_prohibited", "2.其他法律行政法规禁止公开", group=_W),
        Row("withheld_security_stability", "3.危及“三安全一稳定”", group=_W),
        Row("withheld_third_party_rights", "4.保护第三方合法权益", group=_W),
        Row("withheld_internal_affairs", "5.属于三类内部事务信息", group=_W),
        Row("withheld_process_info", "6.属于四类过程性信息", group=_W),
        Row("withheld_enforcement_file", "7.属于行政执法案卷", group=_W),
        Row("withheld_admin_query", "8.属于行政查询事项", group=_W),
        Row("unable_not_held", "1.本机关不掌握相关政府信息", group=_U),
        Row("unable_needs_creation", "2.没有现成信息需要另行制作", group=_U),
        Row("unable_unclear_after_correction", "3.补正后申请内容仍不明确", group=_U),
        Row("not_processed_petition_complaint", "1.信访举报投诉类申请", group=_N),
        Row("not_processed_duplicate", "2.重复申请", group=_N),
        Row("not_processed_publication", "3.要求提供公开出版物", group=_N),
        Row("not_processed_excessive_repeat", "4.无正当理由大量反复申请", group=_N),
        Row("not_processed_confirm_reissue", "5.要求行政机关确认或重新出具已获取信息", group=_N),
    )
    if version == "2019":
        other: tuple[Row, ...] = (Row("other_handling", "（六）其他处理", group=_RESULTS),)
    else:
        other = (
            Row(
                "other_overdue_correction",
                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                aliases=("1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请",),
                group=_O,
            ),
            Row(
                "other_overdue_fee",
                "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                aliases=("2.申请人逾期未按收费通知要求缴纳费用，行政机关不再处理其政府信息公开申请",),
                group=_O,
            ),
            Row("other_misc", "3.其他", group=_O),
        )
    tail = (
        Row("results_total", "（七）总计", aliases=("（七）合计",), group=_RESULTS),
        Row("carried_to_next", "四、结转下年度继续办理"),
    )
    return head + other + tail


def _applications(version: str) -> Table:
    groups = (_RESULTS, _W, _U, _N) + ((_O,) if version == "2021" else ())
    return Table(
        "applications",
        "三、收到和处理政府信息公开申请情况",
        "applications",
        rows=_application_rows(version),
        columns=_APPLICANTS,
        anchors=("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"),
        groups=groups,
        headers=("法人或其他组织",),
    )


# --------------------------------------------------------------------------
# Table 四: 政府信息公开行政复议、行政诉讼情况
# --------------------------------------------------------------------------

_OUTCOMES = (
    Column("upheld", "结果维持"),
    Column("corrected", "结果纠正"),
    Column("other", "其他结果"),
    Column("pending", "尚未审结"),
    Column("total", "总计", aliases=("合计",)),
)
_REVIEW_LITIGATION = Table(
    "review_litigation",
    "四、政府信息公开行政复议、行政诉讼情况",
    "review_litigation",
    rows=(
        Row("review", "行政复议"),
        Row("lit_direct", "未经复议直接起诉"),
        Row("lit_after_review", "复议后起诉"),
    ),
    columns=_OUTCOMES,
    anchors=("未经复议直接起诉",),
    headers=("行政诉讼",),
    single_line=True,
)

TEMPLATES: dict[str, Template] = {
    "2019": Template(
        "2019",
        (
            _ART20_1_2019,
            _ART20_5_2019,
            _ART20_6_2019,
            _ART20_8_2019,
            _ART20_9_2019,
            _applications("2019"),
            _REVIEW_LITIGATION,
        ),
        notice="国办公开办函〔2019〕60号",
    ),
    "2021": Template(
        "2021",
        (_ART20_1_2021, _ART20_5_2021, _ART20_6_2021, _ART20_8_2021, _applications("2021"), _REVIEW_LITIGATION),
        notice="国办公开办函〔2021〕30号",
    ),
}


# --------------------------------------------------------------------------
# Structure the identities are declared over (see gicstats.form.identities)
# --------------------------------------------------------------------------


def result_rows(table: Table) -> tuple[str, ...]:
    """The rows of table 三 that add up to （七）总计: every result row."""
    return tuple(r.id for r in table.rows if r.group is not None and r.id != "results_total")


def summand_columns(table: Table) -> tuple[str, ...]:
    """The columns that add up to the 总计 column.

    Table 三's applicant types, table 四's outcomes of each proceeding.
    """
    return tuple(c.id for c in table.columns if c.id != "total")


# The printed result groups of table 三 by id, the names the checks and
# indicators use for them.
RESULT_GROUPS: dict[str, str] = {"withheld": _W, "unable": _U, "not_processed": _N, "other_handling": _O}


def group_rows(version: str, group: str) -> tuple[str, ...]:
    """The rows of table 三 printed under result group ``group`` (an id of :data:`RESULT_GROUPS`).

    2019 prints （六）其他处理 as a data row of its own, which is then the
    group's only row.
    """
    table = TEMPLATES[version].table("applications")
    rows = tuple(r.id for r in table.rows if r.group == RESULT_GROUPS[group])
    if not rows and group in table.row_ids:
        return (group,)
    return rows


def group_name(group: str) -> str:
    """``withheld`` → ``不予公开``: the group's printed label without its number."""
    return re.sub(r"^（[一二三四五六七八九十]）", "", RESULT_GROUPS[group])


# --------------------------------------------------------------------------
# Label index derived from the declaration
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelRef:
    """What a printed label means in one template version.

    ``kind`` is one of ``row``, ``column``, ``group``, ``anchor``, ``header``
    or ``section``. ``table`` is ``None`` for section headings.
    """

    kind: str
    table: str | None
    id: str


def _label_refs(template: Template) -> dict[str, list[LabelRef]]:
    refs: dict[str, list[LabelRef]] = {}

    def add(label: str, ref: LabelRef) -> None:
        bucket = refs.setdefault(normalize(label), [])
        if ref not in bucket:
            bucket.append(ref)

    for table in template.tables:
        for anchor in table.anchors:
            add(anchor, LabelRef("anchor", table.id, table.id))
        for row in table.rows:
            for label in (row.label, *row.aliases):
                # table 四's "row" labels are printed as column-group headers
                kind = "header" if table.single_line else "row"
                add(label, LabelRef(kind, table.id, row.id))
        for column in table.columns:
            for label in (column.label, *column.aliases):
                add(label, LabelRef("column", table.id, column.id))
        for group in table.groups:
            add(group, LabelRef("group", table.id, group))
        for header in table.headers:
            add(header, LabelRef("header", table.id, header))
    for section in SECTIONS:
        add(section.label, LabelRef("section", None, section.id))
    return refs


@cache
def label_index(version: str) -> dict[str, tuple[LabelRef, ...]]:
    """Map each normalised label of ``version`` to what it may mean."""
    return {k: tuple(v) for k, v in _label_refs(TEMPLATES[version]).items()}


@cache
def all_labels() -> tuple[str, ...]:
    """Every normalised label of both versions, longest first."""
    keys = set(label_index("2019")) | set(label_index("2021"))
    return tuple(sorted(keys, key=len, reverse=True))


@cache
def version_markers() -> dict[str, frozenset[str]]:
    """Labels that occur in one version's declaration only.

    Template detection counts these; it never looks at the report's year,
    because 2022 reports on the 2019 template exist. A label that is only an
    alias in the other version (规范性文件) does not count as a marker.
    """

    def keys(version: str, aliases: bool) -> set[str]:
        out = set()
        for table in TEMPLATES[version].tables:
            for row in table.rows:
                if not row.local:
                    out.add(normalize(row.label))
                    if aliases:
                        out.update(normalize(a) for a in row.aliases)
            for column in table.columns:
                out.add(normalize(column.label))
                if aliases:
                    out.update(normalize(a) for a in column.aliases)
            out.update(normalize(a) for a in table.anchors)
            if aliases:
                out.update(normalize(g) for g in table.groups)
        return out

    a, b = keys("2019", False), keys("2021", False)
    a_all, b_all = keys("2019", True), keys("2021", True)
    return {"2019": frozenset(a - b_all), "2021": frozenset(b - a_all)}


def display_label(version: str, table_id: str, row_id: str | None = None, column_id: str | None = None) -> str:
    """The printed label of a table, row or column, for display."""
    table = TEMPLATES[version].table(table_id)
    if row_id is not None:
        return table.row(row_id).label
    if column_id is not None:
        return table.column(column_id).label
    return table.title


def section_of_heading(text: str) -> str | None:
    """Return the section id if ``text`` is a report section heading.

    Headings start with a Chinese numeral and 、 (``四、因政府信息公开工作被申请
    行政复议…``); the table row labels that also start that way
    (``一、本年新收…``) are excluded.
    """
    key = normalize(text)
    m = re.match(r"^([一二三四五六])、", key)
    if not m:
        return None
    body = key[2:]
    for refs in (label_index("2019").get(key, ()), label_index("2021").get(key, ())):
        if any(r.kind != "section" for r in refs):
            return None
    if body.startswith(("本年新收", "上年结转", "本年度办理结果", "结转下年度")):
        return None
    index = "一二三四五六".index(m.group(1))
    section = SECTIONS[index]
    if index == 0:
        return section.id  # 一 is the overview whatever its title
    if any(k in body[:40] for k in section.keywords):
        return section.id
    return None
