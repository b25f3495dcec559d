"""CJK radicals that stand for unified ideographs, folded to them.

Some PDF fonts map ideographs to radical code points: ``人⺠政府`` for
人民政府, ``⻓`` for 长, ``⻩`` for 黄. NFKC folds the Kangxi radicals
(U+2F00–U+2FD5) but not the CJK Radicals Supplement (U+2E80–U+2EFF), so
every radical of that block that the Unicode Character Database gives an
equivalent unified ideograph is folded here.

Source: ``EquivalentUnifiedIdeograph.txt`` of the Unicode Character Database
(Unicode 15.0.0, property Equivalent_Unified_Ideograph, UAX #44), as shipped
by Debian's ``unicode-data`` package: every entry in U+2E80–U+2EFF
(114 radicals). Python's :mod:`unicodedata` does not carry this property.
The fold maps one character to one character, so offsets in folded text
index the text as printed.
"""

from __future__ import annotations

import re

# radical, then its equivalent unified ideograph
_PAIRS = (
    "⺁厂 ⺂乛 ⺃乚 ⺄乙 ⺅亻 ⺆冂 ⺇𠘨 ⺈刀 ⺉刂 ⺊卜 ⺋㔾 ⺌小 ⺍小 ⺎兀 ⺏尣 ⺐尢 ⺑𡯂 ⺒巳 "
    "⺓幺 ⺔彑 ⺕𫜹 ⺖忄 ⺗心 ⺘扌 ⺙攵 ⺛旡 ⺜日 ⺝月 ⺞歺 ⺟母 ⺠民 ⺡氵 ⺢氺 ⺣灬 ⺤爫 ⺥爫 "
    "⺦丬 ⺧牛 ⺨犭 ⺩王 ⺪𤴔 ⺫目 ⺬示 ⺭礻 ⺮𥫗 ⺯糹 ⺰纟 ⺱罓 ⺲罒 ⺳㓁 ⺴冗 ⺵𦉫 ⺶羊 ⺷𦍌 "
    "⺸𦍋 ⺹耂 ⺺肀 ⺻聿 ⺼肉 ⺽𦥑 ⺾艹 ⺿艹 ⻀艹 ⻁虎 ⻂衤 ⻃覀 ⻄西 ⻅见 ⻆角 ⻇𧢲 ⻈讠 ⻉贝 "
    "⻊𧾷 ⻋车 ⻌辶 ⻍辶 ⻎辶 ⻏邑 ⻐钅 ⻑長 ⻒镸 ⻓长 ⻔门 ⻕𨸏 ⻖阝 ⻗雨 ⻘青 ⻙韦 ⻚页 ⻛风 "
    "⻜飞 ⻝食 ⻞𩙿 ⻟飠 ⻠饣 ⻡𩠐 ⻢马 ⻣骨 ⻤鬼 ⻥鱼 ⻦鸟 ⻧卤 ⻨麦 ⻩黄 ⻪黾 ⻫斉 ⻬齐 ⻭歯 "
    "⻮齿 ⻯竜 ⻰龙 ⻱龜 ⻲亀 ⻳龟 "
)
_ANY_RADICAL = re.compile("[\u2e80-\u2eff]")
RADICAL_TO_IDEOGRAPH = str.maketrans({pair[0]: pair[1] for pair in _PAIRS.split()})


def fold_radicals(text: str) -> str:
    """Radicals of the CJK Radicals Supplement to their unified ideographs.

    >>> fold_radicals("淮安市人⺠政府办公厅")
    '淮安市人民政府办公厅'
    """
    if not _ANY_RADICAL.search(text):
        return text
    return text.translate(RADICAL_TO_IDEOGRAPH)
