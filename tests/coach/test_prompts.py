"""Every prompt file renders; a missing or unexpected variable fails loudly."""

from __future__ import annotations

import pytest

from coach.prompts import PromptError, placeholders, prompt_names, render


@pytest.mark.parametrize("name", prompt_names())
def test_every_prompt_renders(name):
    values = {key: f"<{key}>" for key in placeholders(name)}
    text = render(name, **values)
    assert all(v in text for v in values.values()) and "$" not in text


def test_answer_prompt_variables():
    assert placeholders("answer") == {"question", "history", "findings", "passages"}


def test_missing_and_unexpected_variables_are_errors():
    with pytest.raises(PromptError, match=r"missing \['passages'\], unexpected \['colour'\]"):
        render("answer", question="q", history="h", findings="f", colour="blue")
