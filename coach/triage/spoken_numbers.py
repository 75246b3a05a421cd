"""Numbers said in words, as people type readings: "two hundred and one over one twenty two", 一百八十几."""

from __future__ import annotations

import re

ZH_NUMERAL = r"(?:[一二两]百(?:[零一二三四五六七八九]十?[一二三四五六七八九]?)?|[五六七八九]十[一二三四五六七八九]?)[几多来]?"
ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def zh_numeral(text: str) -> int:
    """一百八十几 -> 180, 一百九 -> 190, 一百零五 -> 105, 九十五 -> 95 (a trailing 几/多 adds nothing: the floor)."""
    text = text.rstrip("几多来")
    value = 0
    if "百" in text:
        hundreds, text = text.split("百", 1)
        value += ZH_DIGIT[hundreds] * 100
        if len(text) == 1 and text != "零":  # 一百九: ninety
            return value + ZH_DIGIT[text] * 10
        text = text.lstrip("零")
    if "十" in text:
        tens, text = text.split("十", 1)
        value += (ZH_DIGIT[tens] if tens else 1) * 10
    if text:
        value += ZH_DIGIT[text]
    return value


NUMBER_WORD = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
               r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|a)")
SPOKEN = rf"{NUMBER_WORD}(?:[\s-]+(?:and[\s-]+)?{NUMBER_WORD})*"
UNITS_EN = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                       "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS_EN = {w: 10 * n for n, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}


def spoken_number(text: str) -> int | None:
    """"two hundred and one" -> 201, "one twenty two" -> 122 (said as one-twenty-two), "ninety five" -> 95."""
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w and w != "and"]
    words = ["one" if w == "a" else w for w in words]
    if "hundred" in words:
        i = words.index("hundred")
        head, rest = words[:i], words[i + 1:]
        hundreds = UNITS_EN.get(head[-1], 1) if head else 1
        tail = spoken_number(" ".join(rest)) if rest else 0
        return None if tail is None else hundreds * 100 + tail
    if len(words) >= 2 and words[0] in ("one", "two") and words[1] in TENS_EN:  # one ninety six
        tail = spoken_number(" ".join(words[1:]))
        return None if tail is None else UNITS_EN[words[0]] * 100 + tail
    value = 0
    for w in words:
        if w in TENS_EN and value % 100 == 0:
            value += TENS_EN[w]
        elif w in UNITS_EN and value % 10 == 0:
            value += UNITS_EN[w]
        else:
            return None
    return value
