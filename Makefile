# Every target sets up .venv by itself: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install demo test lint types pytest bench chaos clean

help:
	@echo "make demo   - run the whole product on embedded defaults (sandbox, in-process store, no keys)"
	@echo "make test   - lint (ruff, import boundaries), types (mypy), tests (pytest)"
	@echo "make bench  - benchmarks, reported as ratios against same-run baselines"
	@echo "make chaos  - 300 /leads through killed processes, a Redis restart and faulty callbacks"
	@echo "              (CHAOS_ARGS=\"--commands 60 --seed 2\"; python -m bench.chaos --help)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/leads demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy shared bot mcp_server sandbox cli tests bench

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint types pytest

bench: $(STAMP)
	$(BIN)/python -m bench

chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
