"""`pytest scenarios/` runs every scenario file as tests (the plugin: coach/evaluation/pytest_plugin.py)."""

from coach.evaluation.pytest_plugin import (  # noqa: F401
    pytest_collect_file, pytest_terminal_summary, scenario_runner,
)
