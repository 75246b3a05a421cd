# Two commands on a fresh machine:  `make run` (set up, index, answer a question)  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
Q ?= My blood pressure this morning was 150/95, is that too high?
REGION ?= us
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run index search test bench lock clean

setup: $(STAMP)

# torch goes first and alone: `torch==2.13.0` takes the CPU build on this machine's disk, where a
# resolver left to itself would pull a multi-GB CUDA build. Everything else comes from the lock file.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -qq --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

run: setup index
	$(BIN)/coach search "$(Q)" --region $(REGION)

index: setup
	$(BIN)/coach index

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/retrieval.py

# Recompile the lock after editing requirements.in (needs `uv`: pip install uv).
lock:
	uv pip compile requirements.in --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--find-links /opt/wheels -o requirements.lock

clean:
	rm -rf $(VENV) data
