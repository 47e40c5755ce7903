# Every target sets up the local virtual environment .venv on its own.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test
REQUIRE_ORACLE ?= 0
BIN := $(VENV)/bin
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: help venv demo test lint clean

help:
	@echo "make demo    train the reference MLP and print its loss at every step"
	@echo "make test    lint (ruff) and run the test suite (pytest)"
	@echo "make clean   remove .venv and caches"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(BIN)/micrograd demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	MICROGRAD_REQUIRE_ORACLE=$(REQUIRE_ORACLE) $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
