"""The medicines the coach recognises by name (rules/drugs.yaml): generic and brand names in English and
Chinese, with common misspellings, mapped to their class.

Triage reads it to know that "took 7 Diamicron" is an overdose of a medicine that causes lows and that a
toddler who swallowed "grandma's amlodipine" swallowed a medicine; the question analysis reads it to know
which medicine a question is about. It holds no doses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DRUGS_FILE = Path(__file__).resolve().parent / "rules" / "drugs.yaml"
Group = Literal["diabetes", "blood_pressure", "lipids", "gout", "obesity", "other"]


class DrugClass(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(description="The class in words a patient understands")
    zh: str = ""
    group: Group
    lowers_glucose_to_hypo: bool = Field(default=False, description="Can cause a low on its own or in overdose")
    dangerous_in_overdose: bool = False


class Drug(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    drug_class: str = Field(alias="class")
    names: list[str] = Field(min_length=1, description="Generic name first, then brands and forms")
    zh: list[str] = Field(default_factory=list)
    misspellings: list[str] = Field(default_factory=list)
    release: list[str] = Field(default_factory=list, description="Extended or modified release forms")
    release_names: list[str] = Field(default_factory=list, description="Names (brands) that are themselves a "
                                     "slow-release form, which must not be cut or crushed")


class DrugLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classes: dict[str, DrugClass]
    drugs: list[Drug]

    @model_validator(mode="after")
    def _classes_exist(self) -> "DrugLexicon":
        unknown = sorted({f"{d.id}: {d.drug_class}" for d in self.drugs if d.drug_class not in self.classes})
        if unknown:
            raise ValueError(f"drugs name classes that are not defined: {unknown}")
        return self

    def class_of(self, drug: Drug) -> DrugClass:
        return self.classes[drug.drug_class]

    def english_words(self, hypo_only: bool = False, group: str | None = None) -> frozenset[str]:
        """Single lower-case words that name a medicine ("diamicron", "glipizide"): the first word of a
        multi-word name is enough ("Humalog Mix" -> "humalog"), unless it is a word of everyday English.
        `group`: only the medicines of classes in that group ("diabetes")."""
        words = set()
        for d in self.drugs:
            if hypo_only and not self.class_of(d).lowers_glucose_to_hypo:
                continue
            if group and self.class_of(d).group != group:
                continue
            for name in d.names + d.misspellings:
                first = name.lower().replace("-", " ").split()[0]
                if first.isalpha() and len(first) >= 4 and first not in COMMON_WORDS:
                    words.add(first)
        return frozenset(words)

    def chinese_names(self, hypo_only: bool = False, group: str | None = None) -> tuple[str, ...]:
        return tuple(sorted({n for d in self.drugs if (not hypo_only or self.class_of(d).lowers_glucose_to_hypo)
                             and (not group or self.class_of(d).group == group)
                             for n in d.zh if n}, key=lambda n: (-len(n), n)))


# First words of multi-word names that are everyday English, not a medicine on their own.
COMMON_WORDS = frozenset({"regular", "human", "mixed", "long", "short", "rapid", "fast", "slow", "extra",
                          "low", "baby", "junior", "plus", "forte", "insulin", "omega", "fish", "sleeping"})


class DrugLexiconError(ValueError):
    """drugs.yaml cannot be read, with the entry that is wrong."""


@lru_cache(maxsize=2)
def load_drugs(path: Path = DRUGS_FILE) -> DrugLexicon:
    try:
        return DrugLexicon.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise DrugLexiconError(f"{path}: {exc}") from exc
