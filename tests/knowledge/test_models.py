"""Search filters and condition names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from knowledge.models import SearchFilters, normalise_condition


def test_region_filter_always_admits_global_passages():
    f = SearchFilters(region="cn")
    assert f.accepts("cn", ["urate"]) and f.accepts("global", ["urate"]) and not f.accepts("us", ["urate"])


def test_condition_filter_is_exact():
    f = SearchFilters(condition="htn")
    assert f.accepts("us", ["htn", "diabetes"]) and not f.accepts("us", ["general"])


def test_unknown_region_is_rejected():
    with pytest.raises(ValidationError):
        SearchFilters(region="mars")


@pytest.mark.parametrize("word, code", [("Hypertension", "htn"), ("gout", "urate"), ("cholesterol", "lipids"),
                                        ("uric acid", "urate"), ("DM", "diabetes"), ("BMI", "obesity")])
def test_condition_aliases(word, code):
    assert normalise_condition(word) == code


def test_unknown_condition_message_lists_the_choices():
    with pytest.raises(ValueError, match="unknown condition 'asthma'; use one of htn, diabetes"):
        normalise_condition("asthma")
