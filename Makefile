# standoff: two commands on a fresh machine
#   make run   - set up (.venv + package + dev extras), then write the briefing
#   make test  - set up, then run every test that CI runs
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.standoff-installed
OUT    ?= out

.PHONY: setup run test bench lint data clean setup-browser serve screenshots load

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the track record first (stored in the results DB and linked from the briefing), then the briefing
run: setup
	$(BIN)/standoff backtest --from 2000-01 --horizons 3,12 --paths 500 --report $(OUT)/backtest.html
	$(BIN)/standoff brief --out $(OUT)/briefing.html --backtest-report backtest.html

test: setup setup-browser
	$(BIN)/python -m pytest -q

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; nothing is
# downloaded by Playwright itself). Needs root, as on CI.
setup-browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# the analyst's workbench on http://127.0.0.1:8000/
serve: setup
	$(BIN)/standoff serve

# PNG screenshots of every page in docs/screenshots/ (a small backtest feeds the Track record)
screenshots: setup setup-browser
	$(BIN)/python scripts/screenshots.py docs/screenshots

# bounded load test of the web app on 127.0.0.1 (stops by itself; prints p95 latency)
load: setup
	$(BIN)/python benchmarks/load_web.py

bench: setup
	$(BIN)/python benchmarks/run.py

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

# Rebuild the bundled history tables from data/raw + data/curated, and the Iran case's from
# data/cases/iran/curated (deterministic).
data: setup
	$(BIN)/python scripts/build_history.py
	$(BIN)/python scripts/build_case_iran.py

clean:
	rm -rf $(OUT) .pytest_cache build *.egg-info src/*.egg-info
