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

from gicstats.check.narrative.assessment import compare_narrative
from gicstats.check.narrative.extraction import extract_statements, extract_statements_from_text
from gicstats.check.narrative.vocabulary import Reading, Statement, cell_name

__all__ = [
    "Reading",
    "Statement",
    "cell_name",
    "compare_narrative",
    "extract_statements",
    "extract_statements_from_text",
]
