"""Render reports of known values into every shape the readers accept.

The roundtrip tests and the benchmark build a report from values they chose,
print it the way real report pages print it, read it back with
``gicstats.read_report`` and compare. Shapes:

- ``html``: the official template's HTML layout (``shared/spec/template.md``
  §2–§4): real ``rowspan``/``colspan``, ``<br>`` or ``<p>`` inside header
  cells, ``&nbsp;`` for blank cells.
- ``pipe``: pipe rows, merged-cell gaps padded at the row's end and rowspan
  labels on their first row only (§7.5.1, ``data/tianmen_police_2020.txt``).
- ``lines``: one cell per line, blank lines between (§7.5.2).
- ``cell_pipe``: ``cell |`` on each line, or ``|`` on its own line between
  cells (§7.5.3).
- ``run``: cells run together with no separator, the whole body on one line,
  with stray spaces at some cell boundaries (§7.5.4, ``data/pingtan_2021.txt``).

Labels come from the template declaration (``row.label``, ``column.label``,
anchors, groups, headers). The layout itself (which cell spans what, where a
header breaks across lines) is written here from the spec and not taken from
the reader, and so is the traditional-character table: a reader bug cannot
hide in an assumption the generator shares with it.

>>> values = zero_values("2021")
>>> values["review_litigation", "review", "total"] = 3
>>> "未经复议直接起诉" in render_pipe(values, "2021", "某市某局", 2021)
True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from gicstats.form.template import SECTIONS, TEMPLATES, Table

Key = tuple[str, str, str]  # (table, row, column)
Value = int | float | Decimal | None
Values = Mapping[Key, Value]

# The vertical group label of table 三 (spec §3.2); the other groups of the
# declaration are nested under it.
RESULTS_GROUP = "三、本年度办理结果"

# Header cells the official template breaks across two lines (spec §2.1:
# ``本年新<br>制作数量``; §3.1: the 2021 template's ``商业`` / ``企业``).
HEADER_BREAKS = {
    "本年新制作数量": ("本年新", "制作数量"),
    "本年新公开数量": ("本年新", "公开数量"),
}
HEADER_BREAKS_2021 = {"商业企业": ("商业", "企业"), "科研机构": ("科研", "机构")}

# Breaks seen inside labels of real scraped reports (spec §7.2); other long
# labels get a break in their middle when ``Variant.spaced`` is set.
LABEL_BREAKS = {
    "三、本年度办理结果": ("三、本年度办", "理结果"),
    "社会公益组织": ("社会公益", "组织"),
    "法律服务机构": ("法律服务", "机构"),
    "商业企业": ("商业", "企业"),
    "科研机构": ("科研", "机构"),
}

# --------------------------------------------------------------------------
# Label variants (spec §7.2)
# --------------------------------------------------------------------------

_HALF_WIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ","})

# Simplified -> traditional for the characters of the template labels, the
# section headings and the narrative and agency names below, written here and
# not copied from the reader. Checked against OpenCC's s2t output for every
# template label; where OpenCC prints a rarer form (爲, 祕, 複議) the common
# one is kept (為, 秘, 復議). Phrases go first: 制, 复 and 于 convert by
# word, and the Wuhan mirror of spec §7.2 turned 文件 into 檔案.
TRAD_PHRASES = {
    "文件": "檔案",
    "关系": "關係",
    "属于": "屬於",
    "等于": "等於",
    "重复": "重複",
    "反复": "反覆",
    "复议": "復議",
    "制作": "製作",
    "继续": "繼續",
}
_TRAD_PAIRS = (
    "万萬 与與 业業 为為 举舉 于於 会會 体體 关關 内內 决決 况況 减減 划劃 办辦 务務 动動 区區 单單 卫衛 "
    "县縣 发發 后後 问問 国國 场場 报報 处處 复復 实實 审審 对對 导導 属屬 应應 废廢 开開 强強 当當 总總 "
    "态態 执執 护護 据據 数數 无無 时時 权權 条條 机機 构構 标標 没沒 环環 现現 监監 确確 种種 稳穩 类類 "
    "级級 纠糾 纳納 线線 组組 织織 经經 结結 继繼 续續 维維 综綜 网網 缴繳 罚罰 职職 范範 规規 计計 认認 "
    "议議 记記 许許 设設 诉訴 询詢 该該 读讀 请請 责責 购購 费費 资資 转轉 过過 这這 进進 选選 采採 长長 "
    "门門 间間 际際 险險 项項 领領 题題 额額 获獲 补補 访訪 讼訟 汉漢 镇鎮 乡鄉 厅廳 财財 税稅 医醫 药藥 "
    "产產 质質 传傳 释釋 众眾 见見 觉覺 统統 页頁 馆館 习習 贯貫 彻徹 络絡 签簽"
)
TRAD_CHARS = str.maketrans({pair[0]: pair[1] for pair in _TRAD_PAIRS.split()})


def to_traditional(text: str) -> str:
    """Convert ``text`` to traditional characters (phrases first).

    >>> to_traditional("四、结转下年度继续办理")
    '四、結轉下年度繼續辦理'
    """
    for simplified, traditional in TRAD_PHRASES.items():
        text = text.replace(simplified, traditional)
    return text.translate(TRAD_CHARS)


@dataclass(frozen=True)
class Variant:
    """How labels and cells are printed (spec §7.2, §7.4).

    Attributes:
        half_width: ASCII brackets, colon and comma: ``(一)``, ``第二十条第(一)项``.
        spaced: A line break inside long labels (``<br>`` in HTML, a space
            in text; in the one-cell-per-line shape broken header cells go
            on two lines): ``本年新 制作数量``, ``三、本年度办 理结果``.
        traditional: The whole page in traditional characters, as the
            Wuhan mirror printed it (``規範性檔案``).
        amount_unit: Unit written inside the 2019 采购总金额 cell: ``""``,
            ``"元"`` or ``"万"`` (spec §7.4).
    """

    half_width: bool = False
    spaced: bool = False
    traditional: bool = False
    amount_unit: str = ""

    def text(self, text: str) -> str:
        """Apply the character variants to any printed text."""
        if self.half_width:
            text = text.translate(_HALF_WIDTH)
        if self.traditional:
            text = to_traditional(text)
        return text

    def parts(self, label: str, breaks: Mapping[str, tuple[str, ...]] = {}) -> tuple[str, ...]:
        """The lines a label cell prints on: template breaks, then variant breaks.

        The break points are chosen on the simplified label and the whole
        label is converted before it is cut, so that a phrase (继续 → 繼續)
        converts even where a break falls inside it.
        """
        if label in breaks:
            parts = breaks[label]
        elif self.spaced and label in LABEL_BREAKS:
            parts = LABEL_BREAKS[label]
        elif self.spaced and len(label) >= 6:
            mid = len(label) // 2
            parts = (label[:mid], label[mid:])
        else:
            parts = (label,)
        printed = self.text(label)
        assert len(printed) == len(label), "character variants keep the label's length"
        out, pos = [], 0
        for part in parts:
            out.append(printed[pos : pos + len(part)])
            pos += len(part)
        return tuple(out)


# --------------------------------------------------------------------------
# The printed form as a grid of cells
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One printed cell.

    ``parts`` are the lines of its text (``<br>`` between them in HTML);
    ``kind`` is ``anchor``, ``header``, ``label``, ``group``, ``note`` or
    ``value``. A blank value cell has ``parts == ("",)``.
    """

    parts: tuple[str, ...]
    kind: str
    rowspan: int = 1
    colspan: int = 1

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def blank(self) -> bool:
        return self.kind == "value" and not self.text


@dataclass(frozen=True)
class Grid:
    """One printed table: rows of cells in document order.

    A cell spanning rows appears once, on its first row, as in the HTML.
    """

    width: int
    rows: tuple[tuple[Cell, ...], ...]


def format_value(value: Value, unit: str = "") -> str:
    """Print one value as reports print it; ``""`` for a blank cell."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, float):
        text = repr(value) if not value.is_integer() else str(int(value))
    else:
        text = str(int(value))
    return text + unit


def _value_cell(values: Values, key: Key, variant: Variant, colspan: int = 1) -> Cell:
    if key not in values:
        raise KeyError(f"no value given for cell {'.'.join(key)}")
    unit = variant.amount_unit if key == ("active_art20_9", "central_procurement", "total_amount") else ""
    return Cell((format_value(values[key], unit),), "value", colspan=colspan)


def _printed_rows(table: Table, values: Values):
    """The national form's rows, plus a local row when values are given for it."""
    return [r for r in table.rows if not r.local or any((table.id, r.id, c.id) in values for c in table.columns)]


def active_grid(version: str, values: Values, variant: Variant) -> Grid:
    """Table 二: one 4-column grid with a full-width sub-header per item (spec §2).

    Fewer than three value columns: the last one is merged over the
    remaining grid columns (2019 （八）/（九）, 2021 （五）（六）（八））.
    """
    rows: list[tuple[Cell, ...]] = []
    for table in TEMPLATES[version].tables:
        if not table.id.startswith("active_"):
            continue
        n = len(table.columns)
        spans = [1] * (n - 1) + [4 - n]
        rows.append((Cell(variant.parts(table.anchors[0]), "anchor", colspan=4),))
        head = [Cell(variant.parts(table.headers[0]), "header")]
        head += [
            Cell(variant.parts(c.label, HEADER_BREAKS), "header", colspan=s)
            for c, s in zip(table.columns, spans, strict=True)
        ]
        rows.append(tuple(head))
        for row in _printed_rows(table, values):
            cells = [Cell(variant.parts(row.label), "label")]
            cells += [
                _value_cell(values, (table.id, row.id, c.id), variant, s)
                for c, s in zip(table.columns, spans, strict=True)
            ]
            rows.append(tuple(cells))
    return Grid(4, tuple(rows))


def applications_grid(version: str, values: Values, variant: Variant) -> Grid:
    """Table 三 (spec §3).

    A 3-column label area and 7 value columns under a 3-row head whose
    top-left block is the 勾稽 note.
    """
    table = TEMPLATES[version].table("applications")
    assert table.groups[0] == RESULTS_GROUP, table.groups
    breaks = HEADER_BREAKS_2021 if version == "2021" else {}
    head_parts = {c.label: variant.parts(c.label, breaks) for c in table.columns}
    cols = [c.label for c in table.columns]
    note, applicants = table.anchors[0], table.anchors[1]
    rows: list[tuple[Cell, ...]] = [
        (Cell(variant.parts(note), "note", rowspan=3, colspan=3), Cell(variant.parts(applicants), "header", colspan=7)),
        (
            Cell(head_parts[cols[0]], "header", rowspan=2),
            Cell(variant.parts(table.headers[0]), "header", colspan=5),
            Cell(head_parts[cols[-1]], "header", rowspan=2),
        ),
        tuple(Cell(head_parts[c], "header") for c in cols[1:-1]),
    ]
    printed = _printed_rows(table, values)
    under_results = [r for r in printed if r.group is not None]
    seen_groups: set[str] = set()
    for row in printed:
        cells: list[Cell] = []
        if row.group is None:
            cells.append(Cell(variant.parts(row.label), "label", colspan=3))
        else:
            if RESULTS_GROUP not in seen_groups:
                seen_groups.add(RESULTS_GROUP)
                cells.append(Cell(variant.parts(RESULTS_GROUP), "group", rowspan=len(under_results)))
            if row.group == RESULTS_GROUP:
                cells.append(Cell(variant.parts(row.label), "label", colspan=2))
            else:
                if row.group not in seen_groups:
                    seen_groups.add(row.group)
                    members = sum(1 for r in printed if r.group == row.group)
                    cells.append(Cell(variant.parts(row.group), "group", rowspan=members))
                cells.append(Cell(variant.parts(row.label), "label"))
        cells += [_value_cell(values, (table.id, row.id, c.id), variant) for c in table.columns]
        rows.append(tuple(cells))
    return Grid(10, tuple(rows))


def review_grid(version: str, values: Values, variant: Variant) -> Grid:
    """Table 四 (spec §4): three header rows and one line of 15 values."""
    table = TEMPLATES[version].table("review_litigation")
    review, direct, after = table.rows
    outcome = [Cell(variant.parts(c.label), "header") for c in table.columns]
    rows = (
        (
            Cell(variant.parts(review.label), "header", colspan=5),
            Cell(variant.parts(table.headers[0]), "header", colspan=10),
        ),
        (
            *(Cell(c.parts, "header", rowspan=2) for c in outcome),
            Cell(variant.parts(direct.label), "header", colspan=5),
            Cell(variant.parts(after.label), "header", colspan=5),
        ),
        tuple(outcome) * 2,
        tuple(_value_cell(values, (table.id, r.id, c.id), variant) for r in table.rows for c in table.columns),
    )
    return Grid(15, rows)


# --------------------------------------------------------------------------
# The document: title, sections, narrative and grids
# --------------------------------------------------------------------------

NARRATIVE = {
    "overview": (
        "{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，"
        "认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政务公开各项工作。"
    ),
    "active_disclosure": "{year}年，本机关通过政府门户网站、政务新媒体和政务服务中心等渠道及时主动公开政府信息。",
    "applications": "本年度依申请公开工作依法依规办理，所有申请均在法定期限内答复。",
    "review_litigation": "本年度因政府信息公开工作引起的复议和诉讼情况如下表所示。",
    "problems_improvements": "存在的主要问题是政策解读形式不够丰富。下一步将进一步丰富解读形式，提升公开质量。",
    "other_matters": "{year}年度本机关未收取信息处理费，无其他需要报告的事项。",
}

# Further paragraphs of the kind real reports print, to pad pages to a
# realistic size (``padding`` argument). ``{n}`` takes a number drawn per
# paragraph, so that pages differ the way real ones do.
MORE_NARRATIVE = (
    "一是加强组织领导，及时调整政务公开工作领导小组，明确分管领导和具体经办人员{n}名，确保政务公开工作有人抓、有人管、有人落实。",
    "二是严格执行信息发布审核制度，始终坚持“涉密信息不上网，上网信息不涉密”的原则，全年审核拟公开信息{n}条，未发生失泄密事件。",
    "三是加强政策解读，按照“谁起草谁解读”的原则，采取文字、图解、视频等多种形式解读政策文件{n}件，做到政策文件与解读材料同步起草、同步审签、同步发布。",
    "四是做好回应关切，围绕群众关注的教育、医疗、住房、就业等热点问题，通过网站留言、热线电话等渠道回应社会关切{n}次。",
    "五是规范依申请公开办理，完善受理、登记、审核、答复、归档等工作流程，加强与申请人的沟通，答复文书格式统一、依据充分。",
    "全年通过政府门户网站发布各类信息{n}条，通过政务微信公众号推送信息三百余条，政务微博发布信息二百余条。",
    "持续优化政府信息公开专栏，按照基层政务公开标准目录调整栏目{n}个，及时更新政府信息公开指南和目录。",
    "加强政府网站与政务新媒体日常监测，发现并整改问题{n}个，确保网站内容准确、链接有效、更新及时。",
    "组织开展政务公开业务培训{n}场次，邀请专家解读新修订的《条例》，提升工作人员的业务能力和依法公开意识。",
    "下一步，我们将继续深化政务公开，拓展公开渠道，提升公开质量，更好地满足人民群众的知情权、参与权、表达权和监督权。",
)


@dataclass(frozen=True)
class Block:
    """One piece of the document: ``title``, ``para``, ``heading`` or ``grid``."""

    kind: str
    text: str = ""
    grid: Grid | None = None


def title(agency: str, year: int) -> str:
    return f"{agency}{year}年政府信息公开工作年度报告"


def document(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    padding: int = 0,
    seed: int = 0,
) -> list[Block]:
    """The report as blocks in printed order.

    Args:
        values: Every cell of the printed tables, keyed ``(table, row,
            column)``; ``None`` is a blank cell.
        version: Template version, ``"2019"`` or ``"2021"``.
        agency: The agency, as the title prints it.
        year: The statistical year.
        variant: Label variants.
        padding: Extra narrative paragraphs per section.
        seed: Chooses the extra paragraphs.
    """
    if version not in TEMPLATES:
        raise ValueError(f"unknown template version {version!r}")
    rng = random.Random(seed)
    fill = {"agency": agency, "year": year}
    t = variant.text
    blocks = [
        Block("title", t(title(agency, year))),
        Block(
            "para",
            t(
                f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，{agency}编制本报告。"
                f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
            ),
        ),
    ]
    grids: dict[str, list[Grid]] = {
        "active_disclosure": [active_grid(version, values, variant)],
        "applications": [applications_grid(version, values, variant)],
        "review_litigation": [review_grid(version, values, variant)],
    }
    for section in SECTIONS:
        blocks.append(Block("heading", t(section.label)))
        blocks.append(Block("para", t(NARRATIVE[section.id].format(**fill))))
        blocks.extend(
            Block("para", t(rng.choice(MORE_NARRATIVE).format(n=rng.randint(2, 3000)))) for _ in range(padding)
        )
        blocks.extend(Block("grid", grid=g) for g in grids.get(section.id, ()))
    return blocks


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------


def _td(cell: Cell, markup: str, styled: bool) -> str:
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    if styled:
        attrs += ' nowrap="nowrap" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt;width:62px;"'
    if cell.blank:
        body = "&nbsp;"
    elif markup == "p" and len(cell.parts) > 1:
        body = "".join(f"<p>{escape(p)}</p>" for p in cell.parts)
    else:
        body = "<br/>".join(escape(p) for p in cell.parts)
    if styled:
        align = ' align="center"' if cell.kind != "label" else ""
        body = f'<p{align} style="line-height:150%"><span style="font-family:宋体;font-size:12.0pt">{body}</span></p>'
    return f"<td{attrs}>{body}</td>"


def html_table(grid: Grid, *, markup: str = "br", styled: bool = False) -> str:
    head = '<table border="1" cellspacing="0" cellpadding="0"' + (' style="border-collapse:collapse"' if styled else "")
    rows = "".join("<tr>" + "".join(_td(c, markup, styled) for c in row) + "</tr>" for row in grid.rows)
    return f"{head}><tbody>{rows}</tbody></table>"


_CHROME_TOP = (
    '<div class="top"><div class="logo"><a href="/">{site}</a></div><ul class="nav">'
    + "".join(
        f'<li><a href="/{i}/">{name}</a></li>'
        for i, name in enumerate(("首页", "政务公开", "政务服务", "互动交流", "走进本地", "专题专栏", "数据发布"))
    )
    + '</ul><form action="/search"><input name="q" placeholder="请输入关键词"/></form></div>'
    '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>'
    '<div class="meta"><span>来源：{site}</span> <span>发布日期：{published}</span> '
    '<span>字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span></div>'
)
_CHROME_BOTTOM = (
    '<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a>'
    ' <a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>'
    '<div class="related"><h3>相关链接</h3><ul>'
    + "".join(f'<li><a href="/links/{i}.html">相关政策文件解读（第{i}期）</a></li>' for i in range(1, 9))
    + "</ul></div>"
    '<div class="footer"><table class="layout"><tr><td>主办单位：{site}办公室</td><td>网站标识码：4290000001</td>'
    "<td>ICP备案号：鄂ICP备05000000号</td></tr></table>"
    "<p>地址：人民路1号 邮编：431700 联系电话：0728-5200000</p></div>"
    '<script>var _hmt=_hmt||[];(function(){{var hm=document.createElement("script");'
    'hm.src="https://hm.example.invalid/hm.js";var s=document.getElementsByTagName("script")[0];'
    "s.parentNode.insertBefore(hm,s);}})();</script>"
)
_STYLE = (
    "<style>body{font-family:'Microsoft YaHei',SimSun;font-size:14px;color:#333}"
    ".top{height:120px;background:#c00}.nav li{float:left;padding:0 20px}"
    "table{border-collapse:collapse;margin:0 auto}td{border:1px solid #000;padding:4px}"
    ".footer{background:#eee;text-align:center}</style>"
)


def render_html(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    markup: str = "br",
    styled: bool = False,
    chrome: bool = False,
    padding: int = 0,
    seed: int = 0,
    published: str | None = None,
) -> str:
    """The report as an HTML page laid out like the official template.

    Args:
        markup: ``"br"`` or ``"p"``: how a header cell's lines are separated.
        styled: Word-export style attributes and spans on every cell, as
            government CMS pages carry them.
        chrome: Page chrome: navigation, breadcrumb, share links, a footer
            with a layout table, a script.
        padding, seed: Extra narrative paragraphs (see :func:`document`).
        published: Publication date printed under the title (``YYYY-MM-DD``).
    """
    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    body: list[str] = []
    for block in blocks:
        if block.kind == "title":
            body.append(f'<p style="text-align:center;font-weight:bold">{escape(block.text)}</p>')
            if published:
                body.append(f'<p style="text-align:center">发布日期：{published}</p>')
        elif block.kind in ("para", "heading"):
            body.append(f"<p>{escape(block.text)}</p>")
        else:
            body.append(html_table(block.grid, markup=markup, styled=styled))
    site = variant.text(f"{agency}门户网站")
    content = '<div class="article">' + "".join(body) + "</div>"
    if chrome:
        fill = {"site": escape(site), "published": published or f"{year + 1}-01-20"}
        content = _CHROME_TOP.format(**fill) + content + _CHROME_BOTTOM.format(**fill)
    head = f'<meta charset="utf-8"><title>{escape(blocks[0].text)}</title>' + (_STYLE if chrome else "")
    return f"<!DOCTYPE html><html><head>{head}</head><body>{content}</body></html>\n"


def _text_document(blocks: list[Block], grid_lines: Callable[[Grid], Iterator[str]], sep: str = "\n") -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "grid":
            out.extend(grid_lines(block.grid))
        else:
            out.append(block.text)
    return sep.join(out) + "\n"


def _covered_widths(grid: Grid) -> list[int]:
    """Grid columns taken on each row by cells spanning down from rows above."""
    taken = [0] * (len(grid.rows) + 1)
    for r, row in enumerate(grid.rows):
        for cell in row:
            for below in range(r + 1, min(r + cell.rowspan, len(grid.rows))):
                taken[below] += cell.colspan
    return taken


def _blank_error(shape: str) -> ValueError:
    return ValueError(f"the {shape} shape cannot print a blank cell (it would vanish); pass blank='-'")


def render_pipe(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    padding: int = 0,
    seed: int = 0,
    published: str | None = None,
    leading_pipe: bool = False,
) -> str:
    """Pipe rows (spec §7.5.1).

    One table row a line, `` | `` between cells, rowspan cells only on their
    first row, the gaps that merged cells leave padded at the end of the row
    (``行政事业性收费 | 0 | 0 | |``).
    """
    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    if published:
        blocks.insert(1, Block("para", f"发布日期：{published}"))

    def lines(grid: Grid) -> Iterator[str]:
        covered = _covered_widths(grid)
        for r, row in enumerate(grid.rows):
            texts = [" ".join(c.parts) for c in row]
            gaps = grid.width - covered[r] - len(row)
            line = " | ".join(texts) + (" |" + "|" * (gaps - 1) if gaps > 0 else " |")
            yield ("| " if leading_pipe else "") + line

    return _text_document(blocks, lines)


def _cells(grid: Grid, blank: str | None, shape: str, split_headers: bool, joiner: str = " ") -> Iterator[str]:
    """The cells' texts in document order; a cell's lines joined by ``joiner``."""
    for row in grid.rows:
        for cell in row:
            if cell.blank:
                if blank is None:
                    raise _blank_error(shape)
                yield blank
            elif split_headers and cell.kind == "header":
                yield from cell.parts
            else:
                yield joiner.join(cell.parts)


def render_lines(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    blank: str | None = None,
    padding: int = 0,
    seed: int = 0,
) -> str:
    """One cell per line with blank lines between (spec §7.5.2).

    Header levels come out flattened in document order; with
    ``variant.spaced`` a broken header cell goes on two lines (``商业`` /
    ``企业``).

    Args:
        blank: How to print a blank cell (``"-"``); by default a blank cell
            raises ``ValueError``, because an empty line would lose it.
    """
    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    return _text_document(blocks, lambda g: _cells(g, blank, "lines", variant.spaced), sep="\n\n")


def render_cell_pipe(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    bar_lines: bool = False,
    blank: str | None = None,
    padding: int = 0,
    seed: int = 0,
) -> str:
    """``cell |`` on each line (spec §7.5.3), or each cell on its own line.

    With ``bar_lines``, each cell is on its own line and ``|`` alone on the
    line between cells.
    """
    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)

    def lines(grid: Grid) -> Iterator[str]:
        for text in _cells(grid, blank, "cell_pipe", False):
            if bar_lines:
                yield text
                yield "|"
            else:
                yield f"{text} |"

    return _text_document(blocks, lines)


def render_run(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    rng: random.Random | None = None,
    space_rate: float = 0.15,
    padding: int = 0,
    seed: int = 0,
) -> str:
    """Cells run together with no separator (spec §7.5.4).

    A title line, then the whole body on one line, as in the Pingtan
    ``page.txt`` dumps.

    Args:
        rng: When given, a space is left at each boundary between two cells
            with probability ``space_rate``, like the ``&nbsp;`` leftovers
            of ``230 000023``. Spaces only ever fall between cells.
    """
    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    pieces: list[str] = []
    for block in blocks[1:]:
        if block.kind == "grid":
            # a header's template line break vanishes; a variant break stays a space
            pieces.extend(_cells(block.grid, None, "run", False, " " if variant.spaced else ""))
        else:
            pieces.append(block.text)
    body = pieces[0]
    for piece in pieces[1:]:
        if rng is not None and rng.random() < space_rate:
            body += " "
        body += piece
    return f"标题: {blocks[0].text}\n{body}\n"


def render_markdown(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    padding: int = 0,
    seed: int = 0,
    wrap_title: bool = False,
    footer: bool = False,
) -> str:
    """Markdown tables as HTML-to-Markdown converters write them (markdownify, which markitdown uses).

    Each table row ``| a | b |``, a ``| --- |`` separator row after the first, a
    cell spanning n columns written as the cell and n - 1 empty cells after it,
    cells covered by a rowspan left out (the row is shorter), a blank cell empty.

    Args:
        wrap_title: Print the title over two lines with a space after the
            year (``2021 年某市某局政府信息公开`` / ``工作年度报告``).
        footer: Put a page footer row (``| — 2 — | | |``) inside table 三.
    """
    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    if wrap_title:
        head, tail = blocks[0].text.split("工作年度报告") if "工作年度报告" in blocks[0].text else (blocks[0].text, "")
        blocks[0] = Block("title", head.replace(f"{year}年", f"{year} 年") + "\n工作年度报告" + tail)

    def lines(grid: Grid) -> Iterator[str]:
        for r, row in enumerate(grid.rows):
            cells: list[str] = []
            for cell in row:
                cells.append(" ".join(cell.parts))
                cells.extend([""] * (cell.colspan - 1))
            yield "| " + " | ".join(cells) + " |"
            if r == 0:
                yield "| " + " | ".join(["---"] * grid.width) + " |"
            if footer and r == len(grid.rows) // 2 and grid.width == 10:
                yield "| — 2 — |" + " |" * (grid.width - 1)

    return _text_document(blocks, lines)


def collapse_runs(text: str) -> str:
    """What an archiver that drops consecutive identical text nodes makes of pipe rows.

    In each ``|`` row, a cell equal to the one before it is left out (``46 |
    0 | 0 | 0 | 0 | 0 | 46`` -> ``46 | 0 | 46``).
    """
    out = []
    for line in text.split("\n"):
        if line.lstrip().startswith("|") and "---" not in line:
            cells = line.strip().strip("|").split("|")
            kept = [c for i, c in enumerate(cells) if i == 0 or c.strip() != cells[i - 1].strip() or not c.strip()]
            line = "| " + " | ".join(c.strip() for c in kept) + " |"
        out.append(line)
    return "\n".join(out)


SHAPES: dict[str, Callable[..., str]] = {
    "html": render_html,
    "pipe": render_pipe,
    "lines": render_lines,
    "cell_pipe": render_cell_pipe,
    "run": render_run,
    "markdown": render_markdown,
}
"""Every shape, by name: ``SHAPES[name](values, version, agency, year, ...)``."""

# Shapes in which a blank cell can be printed as blank.
BLANK_SHAPES = ("html", "pipe")


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def template_cells(version: str, *, local: bool = False) -> list[Key]:
    """Every cell of the printed form, in printed order.

    Local rows only with ``local=True``.
    """
    return [
        (t.id, r.id, c.id) for t in TEMPLATES[version].tables for r in t.rows if local or not r.local for c in t.columns
    ]


def zero_values(version: str) -> dict[Key, Value]:
    """A report whose every cell is 0."""
    return dict.fromkeys(template_cells(version), 0)


def balanced_values(version: str, rng: random.Random, *, high: int = 30) -> dict[Key, Value]:
    """Random values that satisfy every identity of ``templates.IDENTITIES``.

    Table 三: each applicant column's result rows are drawn, （七）总计 is
    their sum, 结转下年度 and 上年结转 are drawn, 本年新收 balances, and
    总计 is the row sum. Table 四: each group's 总计 is the sum of its four
    outcomes. Table 二 is drawn freely.
    """
    values: dict[Key, Value] = {}
    tpl = TEMPLATES[version]
    for table in tpl.tables:
        if table.id.startswith("active_"):
            for row in table.rows:
                if row.local:
                    continue
                for col in table.columns:
                    if col.dtype == "signed":
                        values[table.id, row.id, col.id] = rng.randint(-high, high)
                    elif col.dtype == "amount":
                        values[table.id, row.id, col.id] = Decimal(rng.randint(0, 10**6)) / 100
                    else:
                        values[table.id, row.id, col.id] = rng.randint(0, high * 10)
    apps = tpl.table("applications")
    results = [r.id for r in apps.rows if r.group is not None and r.id != "results_total"]
    for col in apps.columns[:-1]:
        for rid in results:
            values["applications", rid, col.id] = rng.choice((0, 0, rng.randint(0, high)))
        total = sum(values["applications", rid, col.id] for rid in results)
        values["applications", "results_total", col.id] = total
        carried_to_next = rng.randint(0, 3)
        carried_over = rng.randint(0, total + carried_to_next)
        values["applications", "carried_to_next", col.id] = carried_to_next
        values["applications", "carried_over_from_prev", col.id] = carried_over
        values["applications", "new_received", col.id] = total + carried_to_next - carried_over
    for row in apps.rows:
        values["applications", row.id, "total"] = sum(values["applications", row.id, c.id] for c in apps.columns[:-1])
    review = tpl.table("review_litigation")
    for row in review.rows:
        parts = [rng.randint(0, high) for _ in review.columns[:-1]]
        for col, v in zip(review.columns[:-1], parts, strict=True):
            values["review_litigation", row.id, col.id] = v
        values["review_litigation", row.id, "total"] = sum(parts)
    return values


# --------------------------------------------------------------------------
# Attachments: DOCX, XLSX and PDF
# --------------------------------------------------------------------------


def placed(grid: Grid) -> list[tuple[int, int, Cell]]:
    """Each cell of ``grid`` with its top-left grid position ``(row, column)``.

    Positions are found by skipping those taken by cells spanning down from
    above.
    """
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(grid.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    return out


def _printed_value(cell: Cell) -> str:
    return cell.text


def render_docx(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    merged: bool = True,
    padding: int = 0,
    seed: int = 0,
) -> bytes:
    """The report as a Word document, as agencies attach it: paragraphs and one bordered table per grid.

    Args:
        merged: Merge spanning cells as the template does (``gridSpan`` and
            ``vMerge``). ``False`` leaves them unmerged: the text in the
            first grid position, the others empty, as in hand-made tables.
    """
    import io

    import docx

    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    doc = docx.Document()
    for block in blocks:
        if block.kind == "grid":
            grid = block.grid
            table = doc.add_table(rows=len(grid.rows), cols=grid.width)
            table.style = "Table Grid"
            for r, c, cell in placed(grid):
                target = table.cell(r, c)
                if merged and (cell.rowspan > 1 or cell.colspan > 1):
                    target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
                target.text = "\n".join(cell.parts) if not cell.blank else ""
        elif block.kind == "title":
            doc.add_heading(block.text, level=1)
        else:
            doc.add_paragraph(block.text)
    doc.core_properties.title = ""
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_xlsx(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    merged: bool = True,
    numbers_as_text: bool = False,
    padding: int = 0,
    seed: int = 0,
) -> bytes:
    """The report as one worksheet.

    The title and paragraphs in column A, each grid below its section with
    merged ranges where the template spans.

    Args:
        merged: Merge spanning cells (``False``: text in the first cell only).
        numbers_as_text: Store values as text, as many exported sheets do;
            by default counts are numbers and amounts floats.
    """
    import io

    import openpyxl

    blocks = document(values, version, agency, year, variant=variant, padding=padding, seed=seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "年报"
    row = 1
    for block in blocks:
        if block.kind != "grid":
            sheet.cell(row, 1, block.text)
            row += 1
            continue
        grid = block.grid
        for r, c, cell in placed(grid):
            target = sheet.cell(row + r, 1 + c)
            target.value = _xlsx_value(cell, numbers_as_text)
            if merged and (cell.rowspan > 1 or cell.colspan > 1):
                sheet.merge_cells(
                    start_row=row + r,
                    start_column=1 + c,
                    end_row=row + r + cell.rowspan - 1,
                    end_column=c + cell.colspan,
                )
        row += len(grid.rows) + 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(cell: Cell, numbers_as_text: bool):
    if cell.kind != "value":
        return "\n".join(cell.parts)
    text = cell.text
    if not text:
        return None
    if numbers_as_text:
        return text
    try:
        number = Decimal(text)
    except ArithmeticError:
        return text  # a unit in the cell: 117.785万
    return int(number) if number == number.to_integral_value() and "." not in text else float(number)


# PDF layout: column widths (points) of each grid, A4 portrait.
_PDF_WIDTHS = {
    4: [150, 110, 110, 110],
    10: [26, 62, 116] + [38] * 7,
    15: [32] * 15,
}
_PDF_FONT = "STSong-Light"


def render_pdf(
    values: Values,
    version: str,
    agency: str,
    year: int,
    *,
    variant: Variant = Variant(),
    ruled: bool = True,
    label_valign: str = "MIDDLE",
    split_row: int | None = None,
    padding: int = 0,
    seed: int = 0,
    encrypt: str | None = None,
    compress: bool = True,
    open_right: bool = False,
) -> bytes:
    """The report as a PDF with a text layer, drawn with reportlab.

    reportlab is a test dependency; the font is the Adobe CJK font
    STSong-Light.

    Labels wrap inside their cells (the long （二） label over three lines,
    ``三、本年度办理结果`` one character a line in its narrow column, table
    四's headers two characters a line), as Word prints the template.

    Args:
        ruled: Draw the grid lines. ``False`` leaves only the text, so the
            reader has to fall back on the text layer (no blanks then: a
            blank cell leaves nothing to read).
        label_valign: Vertical alignment of label cells (``TOP``,
            ``MIDDLE``, ``BOTTOM``); values are centred, so a wrapped label
            starts above, beside or below its numbers.
        split_row: Cut table 三 after this many rows and go on on the next
            page, as a table continues across pages: cells spanning the cut
            go on as empty cells.
        encrypt: Encrypt with this user password (``""``: opens without
            one, as many agencies' PDFs that forbid copying do).
        compress: Deflate the page contents. ``False`` leaves the drawing
            operators as text, for fuzzing them; the output is then
            byte-for-byte reproducible.
        open_right: Draw no rule down the tables' right-hand side, as
            Chromium's "Save as PDF" clips it off a table a little wider than
            the printable area: the last column has only its horizontal rules.
    """
    import io
    from xml.sax.saxutils import escape as xml_escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    body = ParagraphStyle("body", fontName=_PDF_FONT, fontSize=10.5, leading=16, wordWrap="CJK", firstLineIndent=21)
    heading = ParagraphStyle("heading", parent=body, firstLineIndent=0)
    title_style = ParagraphStyle("title", fontName=_PDF_FONT, fontSize=16, leading=24, alignment=1, wordWrap="CJK")

    def table(grid: Grid, rows: list[tuple[int, int, Cell]], height: int):
        return _pdf_table(grid, rows, height, ruled=ruled, label_valign=label_valign, open_right=open_right)

    flow: list = []
    for block in document(values, version, agency, year, variant=variant, padding=padding, seed=seed):
        if block.kind == "title":
            flow.append(Paragraph(xml_escape(block.text), title_style))
            flow.append(Spacer(1, 8))
        elif block.kind == "heading":
            flow.append(Paragraph(xml_escape(block.text), heading))
        elif block.kind == "para":
            flow.append(Paragraph(xml_escape(block.text), body))
        else:
            grid = block.grid
            cells = placed(grid)
            flow.append(Spacer(1, 6))
            if split_row is None or grid.width != 10 or not 3 < split_row < len(grid.rows):
                flow.append(table(grid, cells, len(grid.rows)))
            else:
                first, rest = _split_at(cells, split_row)
                flow.append(table(grid, first, split_row))
                flow.append(PageBreak())
                flow.append(table(grid, rest, len(grid.rows) - split_row))
            flow.append(Spacer(1, 6))
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=56, rightMargin=56, topMargin=56, bottomMargin=56, title="", author="", creator=""
    )
    if not compress:
        pdf.pageCompression, pdf.invariant = 0, 1
    if encrypt is not None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        pdf.encrypt = StandardEncryption(encrypt, ownerPassword="owner", canCopy=0)
    pdf.build(flow, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()


def _pdf_table(
    grid: Grid, rows: list[tuple[int, int, Cell]], height: int, *, ruled: bool, label_valign: str, open_right: bool
):
    """One grid (or the part of one on a page) as a reportlab table of ``height`` rows."""
    from xml.sax.saxutils import escape as xml_escape

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as PdfTable

    cell_style = ParagraphStyle("cell", fontName=_PDF_FONT, fontSize=9, leading=11, wordWrap="CJK")
    centred = ParagraphStyle("centred", parent=cell_style, alignment=1)
    data: list[list] = [["" for _ in range(grid.width)] for _ in range(height)]
    style = [
        ("FONT", (0, 0), (-1, -1), _PDF_FONT, 9),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if ruled and open_right:
        style.append(("INNERGRID", (0, 0), (-1, -1), 0.5, "black"))
        style.append(("LINEABOVE", (0, 0), (-1, 0), 0.5, "black"))
        style.append(("LINEBELOW", (0, -1), (-1, -1), 0.5, "black"))
        style.append(("LINEBEFORE", (0, 0), (0, -1), 0.5, "black"))
    elif ruled:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, "black"))
    for r, c, cell in rows:
        if cell.kind == "value":
            data[r][c] = cell.text
        elif cell.text:
            text = "<br/>".join(xml_escape(p) for p in cell.parts)
            data[r][c] = Paragraph(text, cell_style if cell.kind == "label" else centred)
        if cell.kind in ("label", "group"):
            style.append(("VALIGN", (c, r), (c, r), label_valign))
        if cell.rowspan > 1 or cell.colspan > 1:
            style.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    out = PdfTable(data, colWidths=_PDF_WIDTHS[grid.width])
    out.setStyle(TableStyle(style))
    return out


def _split_at(cells: list[tuple[int, int, Cell]], split_row: int):
    """The placed cells of a grid cut after ``split_row`` rows: those before the cut, and those after.

    A cell spanning the cut ends at it, and goes on as an empty cell at the
    top of the rest, as a table continuing across pages prints it.
    """
    first, rest = [], []
    for r, c, cell in cells:
        if r < split_row:
            end = r + cell.rowspan
            first.append((r, c, Cell(cell.parts, cell.kind, min(end, split_row) - r, cell.colspan)))
            if end > split_row:  # goes on, empty, on the next page
                rest.append((0, c, Cell(("",), "group", end - split_row, cell.colspan)))
        else:
            rest.append((r - split_row, c, cell))
    return first, rest


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 9)
    canvas.drawCentredString(297.6, 30, f"- {doc.page} -")
    canvas.restoreState()


def render_scanned_pdf(pages: int = 1) -> bytes:
    """A PDF of page images only, as a scanner makes it: no text layer."""
    import io

    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    for page in range(pages):
        image = Image.new("L", (420, 594), 255)
        draw = ImageDraw.Draw(image)
        for i in range(12):  # grey bars where the lines of text would be
            draw.rectangle((40, 40 + 40 * i, 380, 52 + 40 * i), fill=90 + 10 * (i % 3) + page)
        canvas.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        canvas.showPage()
    canvas.save()
    return out.getvalue()


ATTACHMENTS: dict[str, Callable[..., bytes]] = {
    "docx": render_docx,
    "xlsx": render_xlsx,
    "pdf": render_pdf,
}
"""The attachment formats, by name: ``ATTACHMENTS[name](values, version, agency, year, ...)`` gives bytes."""


def sized_html(
    values: Values, version: str, agency: str, year: int, rng: random.Random, size: tuple[int, int]
) -> bytes:
    """A styled, chrome-wrapped page of about a size drawn from ``size`` (bytes), for benchmarks."""
    target = rng.randint(*size)
    padding = 4
    while True:
        html = render_html(
            values,
            version,
            agency,
            year,
            markup=rng.choice(("br", "p")),
            styled=True,
            chrome=True,
            padding=padding,
            seed=rng.randint(0, 10**9),
            published=f"{year + 1}-01-{rng.randint(10, 31)}",
        ).encode("utf-8")
        if len(html) >= target or padding > 200:
            return html
        padding += max(1, (target - len(html)) // 2_000)
