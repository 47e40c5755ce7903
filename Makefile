# Every target sets up the local virtual environment .venv on its own.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test
REQUIRE_ORACLE ?= 0
REQUIRE_DISTRIBUTED ?= 0
REQUIRE_BROWSER ?= 0
BIN := $(VENV)/bin
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
REFERENCE_VENV ?= .venv-reference
REFERENCE_STAMP := $(REFERENCE_VENV)/.installed-micrograd-0.1.0

.PHONY: help venv demo reproduce moons sharpness view experiments clean-results bench bench-view \
	graph-scale test lint clean fuzz

help:
	@echo "make reproduce      rerun loss_curve and lr_sweep: data and figures in results/"
	@echo "make test           lint (ruff) and run the test suite (pytest)"
	@echo "make demo           train the reference MLP and print its loss at every step"
	@echo "make moons          train the two-moons classifier: results/moons/"
	@echo "make sharpness      the loss Hessian's top eigenvalue along the sweep: results/sharpness/"
	@echo "make view           interactive pages of the reference and moons loss graphs: results/view/"
	@echo "make experiments    all the experiments"
	@echo "make clean-results  remove results/"
	@echo "make bench          time the engine against micrograd 0.1.0, torch and plain floats"
	@echo "make bench-view     time the graph viewer on the moons loss in headless Chromium"
	@echo "make graph-scale    export and analyse a 1,000,000-node graph, with timings"
	@echo "make clean          remove .venv and caches"
	@echo "make fuzz           fuzz the file readers for ten minutes (FUZZ_MINUTES, FUZZ_SEED)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(BIN)/micrograd demo

reproduce: $(STAMP)
	$(BIN)/python -m experiments.loss_curve --force
	$(BIN)/python -m experiments.lr_sweep --force

moons: $(STAMP)
	$(BIN)/python -m experiments.moons --force

sharpness: $(STAMP)
	$(BIN)/python -m experiments.sharpness --force

view: $(STAMP)
	$(BIN)/python -m experiments.views --force

experiments: reproduce moons sharpness

clean-results:
	rm -rf results

# The reference micrograd from PyPI, in its own environment: its package is also called micrograd.
$(REFERENCE_STAMP):
	test -x $(REFERENCE_VENV)/bin/python || $(PYTHON) -m venv $(REFERENCE_VENV)
	$(REFERENCE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check micrograd==0.1.0
	touch $@

bench: $(STAMP) $(REFERENCE_STAMP)
	MICROGRAD_REFERENCE_PYTHON=$(REFERENCE_VENV)/bin/python $(BIN)/python -m experiments.bench

# The viewer's benchmark drives Debian's chromium (apt-get install chromium) with Playwright.
bench-view:
	$(MAKE) venv EXTRAS=test,browser
	$(BIN)/python -m experiments.bench.viewer

graph-scale: $(STAMP)
	$(BIN)/python -m experiments.bench.graph_scale

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	MICROGRAD_REQUIRE_ORACLE=$(REQUIRE_ORACLE) \
	MICROGRAD_REQUIRE_DISTRIBUTED=$(REQUIRE_DISTRIBUTED) \
	MICROGRAD_REQUIRE_BROWSER=$(REQUIRE_BROWSER) \
	$(BIN)/python -m pytest

# The file readers against mutated and generated files, from a fixed seed; prints how many
# inputs each reader was given and any that broke it (kept in results/fuzz-failures/).
FUZZ_MINUTES ?= 10
FUZZ_SEED ?= 0
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --minutes $(FUZZ_MINUTES) --seed $(FUZZ_SEED)

clean:
	rm -rf $(VENV) $(REFERENCE_VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
