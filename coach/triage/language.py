"""Which language a message is in, and whether the coach can read it (English and Chinese).

py3langid (a maintained fork of langid.py that ships its model) names the language. On short English
chat ("bp 150/95", "no chest pain") it is often unsure or wrong, so a message counts as unreadable only
when the identifier is confident, the language is neither English nor Chinese, and most of its words
are not English words: a missed emergency in English costs more than a multilingual message.
"""

from __future__ import annotations

import re
from functools import lru_cache

READ = ("en", "zh")
# Languages a health coach's users plausibly write in; restricting the identifier to them keeps it from
# naming rare languages for short English text.
CANDIDATES = ["en", "zh", "fr", "es", "de", "pt", "it", "nl", "vi", "ar", "ru", "ja", "ko", "hi", "tr", "pl",
              "id", "ms", "tl", "th", "fa", "ur", "bn", "sv", "el", "he", "ro", "uk", "da", "no", "fi", "cs", "hu"]
MIN_CONFIDENCE = 0.9
WORD = re.compile(r"[^\W\d_]+", re.U)
CJK = re.compile(r"[\u3400-\u9fff]")
KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(CANDIDATES)
    return identifier


def identify(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability)."""
    if KANA_HANGUL.search(text):
        return ("ja" if re.search(r"[\u3040-\u30ff]", text) else "ko"), 1.0
    if CJK.search(text):
        return "zh", 1.0
    language, probability = _identifier().classify(text)
    return language, float(probability)


def unreadable(text: str, english_words: frozenset[str]) -> str | None:
    """The language of a message the coach cannot read, or None (English, Chinese, or not sure)."""
    language, probability = identify(text)
    if language in READ:
        return None
    words = [w.lower() for w in WORD.findall(text)]
    if len(words) < 2 and not KANA_HANGUL.search(text):
        return None
    if probability < MIN_CONFIDENCE and not KANA_HANGUL.search(text):
        return None
    english = sum(w in english_words for w in words)
    return language if english * 2 < len(words) else None
