"""Scripted dialogue evaluation: scenario files, the runner, assertions, metrics and reports."""
