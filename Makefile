# Every target sets up the local virtual environment .venv on its own.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test
REQUIRE_ORACLE ?= 0
REQUIRE_DISTRIBUTED ?= 0
BIN := $(VENV)/bin
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: help venv demo reproduce moons experiments clean-results test lint clean

help:
	@echo "make reproduce      rerun loss_curve and lr_sweep: data and figures in results/"
	@echo "make test           lint (ruff) and run the test suite (pytest)"
	@echo "make demo           train the reference MLP and print its loss at every step"
	@echo "make moons          train the two-moons classifier: results/moons/"
	@echo "make experiments    all three experiments"
	@echo "make clean-results  remove results/"
	@echo "make clean          remove .venv and caches"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(BIN)/micrograd demo

reproduce: $(STAMP)
	$(BIN)/python -m experiments.loss_curve
	$(BIN)/python -m experiments.lr_sweep

moons: $(STAMP)
	$(BIN)/python -m experiments.moons

experiments: reproduce moons

clean-results:
	rm -rf results

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	MICROGRAD_REQUIRE_ORACLE=$(REQUIRE_ORACLE) \
	MICROGRAD_REQUIRE_DISTRIBUTED=$(REQUIRE_DISTRIBUTED) \
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
