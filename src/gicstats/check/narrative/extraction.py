"""Figures out of the narrative.

Sentences, the numbers in them, and what each number states (a
:class:`~gicstats.check.narrative.vocabulary.Statement`).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field

from gicstats.check.narrative.vocabulary import (
    _ACTIVE_RE,
    _ACTIVE_SUBJECTS,
    _ALL_UPHELD,
    _ANSWER,
    _APPLICANT_WORDS,
    _CATEGORIES,
    _CUMULATIVE,
    _DOC_RE,
    _DOC_VERBS,
    _FROM_PREV,
    _GRANTED_OR_PARTIAL,
    _GROUP_NAMES,
    _N,
    _NC,
    _NO_LOSS,
    _OUTCOME_RES,
    _OUTCOMES,
    _PROC_RE,
    _PROCEEDINGS,
    _RECEIVE,
    _ROW_NAMES,
    _SUBROWS,
    _T,
    _TO_NEXT,
    _WITH_PREV,
    Reading,
    Statement,
    _app,
    _group_rows,
    _proc_label,
    _procs,
    _rl,
    _row_name,
)
from gicstats.form.radicals import fold_radicals
from gicstats.form.template import TEMPLATES

# --------------------------------------------------------------------------
# Text: sentences and the numbers in them
# --------------------------------------------------------------------------

_COUNT_UNITS = "件|条|个|项|起|宗|次|份|篇|部|批|例"
_MONEY_UNITS = {"亿元": 1e8, "万元": 1e4, "万": 1e4, "元": 1.0}
_NUMBER = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)(余|多)?(亿元|万元|元|万|{_COUNT_UNITS})")
_NOT_A_COUNT = re.compile(r"工作日|日|天|小时|分钟|月|百分点|期|年|人|户|家|平方|米")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,])")
_HARD_RE = re.compile(r"[,;。:()!?\n]")
_DELIMITER_RE = re.compile(r"[,;。:()!?\n、]")  # a hard one or 、
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
    hard: list[int] | None = None  # where the hard delimiters are, found at the first number
    for m in _NUMBER.finditer(sentence):
        start, end = m.start(), m.end()
        if _NOT_A_COUNT.match(sentence, end):
            continue  # "20个工作日", "5个百分点": a time or a rate, not a count
        if hard is None:
            hard = [d.start() for d in _HARD_RE.finditer(sentence)]
        # the prefix runs from the last hard delimiter before the number (or
        # the last count), the label from the last delimiter of either kind
        k = bisect_left(hard, start) - 1
        prefix_start = hard[k] + 1 if k >= 0 and hard[k] >= last_end else last_end
        label_start = max(prefix_start, sentence.rfind("、", last_end, start) + 1)
        seg_start = sentence.rfind(";", 0, start) + 1
        after = _DELIMITER_RE.search(sentence, end)
        stop = after.start() if after else len(sentence)
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
    (``行政复议3件,其中维持2件,尚未审结 1件,行政诉讼2件,均获维持``: only the 行政诉讼 are "均获维持").
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
    # the part takes its total's scope: one reading per reading of
    # the total (本年新收, or 本年新收 + 上年结转), same rows
    readings = []
    for reading in base.readings:
        rows = dict.fromkeys(cell.split(".")[1] for cell in reading.cells)
        cells = tuple(f"applications.{r}.{c}" for r in rows for c in columns)
        readings.append(Reading(f"{reading.label}·{word}", cells))
    label_name = f"{_ROW_NAMES[base.target.cells[0].split('.')[1]]}·{word}"
    statement = _statement(ctx, hit, base.what, label_name, readings)
    return Statement(**{**statement.__dict__, "parent": base})


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


_CLAUSE_SPLIT = re.compile(r"[,;。]")
_NEGATION = re.compile(r"[无没未不]")
_NO_CASES = re.compile(r"(?:没有|未发生|未出现|未有|无)[^,;。\d]{0,20}?(?:行政复议|复议|行政诉讼|诉讼)")
_NO_APPLICATIONS = re.compile(r"(?:无一件|未收到|没有收到|未接到|没有接到|无任何|没有任何)[^,;。\d]{0,12}?申请")
_NO_CARRY_OVER = re.compile(r"(?:无|没有|不存在)(?:需要?)?(上一?年度?)?(?:结转|顺延)")
_DIGIT = re.compile(r"\d")
# What each pattern of _zero_statements holds: _ALL_UPHELD 维持, _NO_LOSS 败诉
# or 被纠, the others a negation (_negated_clauses)
_ZERO_WORDS = re.compile(r"维持|败诉|被纠|[无没未不]")
_DIGIT_OR_CASE = re.compile(r"\d|复议|诉讼")


def _negated_clauses(sentence: str) -> list[str]:
    """The clauses of ``sentence``; none when it has no negation word, with which each zero pattern starts."""
    return _CLAUSE_SPLIT.split(sentence) if _NEGATION.search(sentence) else []


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
    for clause in _negated_clauses(sentence):
        m = _NO_CASES.search(clause)
        if m and scoped and not _DIGIT.search(clause, m.start()):
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
        m = _NO_APPLICATIONS.search(clause)
        if m and not _DIGIT_OR_CASE.search(clause, m.start()):
            add("new_received", "收到申请", [_N], clause.strip())
            continue
        m = _NO_CARRY_OVER.search(clause)
        if m and not _DIGIT.search(clause, m.start()) and ("申请" in sentence or ctx.section == "applications"):
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
        text = fold_radicals(unicodedata.normalize("NFKC", text))
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
            if _ZERO_WORDS.search(sentence):  # else none of their patterns can match: a cheap test first
                ctx.statements.extend(_zero_statements(ctx, sentence))
            out.extend(ctx.statements)
            previous = sentence
    return out
