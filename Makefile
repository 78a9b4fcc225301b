# casewatch: `make run` watches the configured sources; `make test` runs the test suite.
# Every target creates and uses .venv by itself.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install chromium run test demo lint eval bench screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "casewatch needs Python 3.11 or newer"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright, never a browser
# Playwright downloads. Installed when missing (needs root); otherwise those tests fail and say how.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else \
	    echo "make: /usr/bin/chromium is missing; as root: apt-get install -y --no-install-recommends chromium"; \
	  fi; }

## run: the main job: crawl every enabled source now and on its schedule, digests to var/outbox/
run: install
	$(BIN)/casewatch run

## test: lint, the layers (import contracts, no import cycle) and types (mypy), then the whole suite (slow and browser
## tests included; the tests marked postgres on SQLite and on the local PostgreSQL server).
## Three workers on two cores: most slow tests wait on child processes, servers and timers, not the CPU.
## Quick loop: $(BIN)/pytest -m "not slow and not browser"
test: install chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -q -n 3 --dist loadgroup --durations=10

## demo: offline replica sites change, casewatch notices, a digest lands in var/outbox/
demo: install
	$(BIN)/casewatch demo

## eval: relevance and legal-step figures on the tuning set (eval/v2, v4, v5, v6, v9, the v10 and v11 dev splits,
## and v12-v23, held out once each and then opened). Held-out sets are scored once, at the end of a round: v3, v7,
## v8, v10 test, v11 test and v12-v24 are spent (eval/v24/README.md: the latest figures). One set: SET=v2, v4 ...
SET   ?= tune
SPLIT ?=
eval: install
	$(BIN)/python eval/run.py --set $(SET) $(if $(SPLIT),--split $(SPLIT))

## bench: casewatch beside urlwatch 2.29 on a local news site of N pages (N=1000, or N=10000), two
## cycles each; prints the figures and appends them to bench/RESULTS.md. urlwatch goes into its own
## environment, bench/.peers-venv (from PyPI, once). More runs: make bench N=1000 RUNS=3
N     ?= 1000
RUNS  ?= 1
PEERS := bench/.peers-venv
bench: install $(PEERS)/.installed
	$(BIN)/python bench/peers.py --pages $(N) --runs $(RUNS)

$(PEERS)/.installed:
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet "urlwatch==2.29" lxml cssselect
	touch $@

## screenshots: a digest at 375 and 800 px and the change log at 375 px, in Chromium, into docs/screenshots/
screenshots: install chromium
	$(BIN)/pytest -q -n 0 tests/alerts/test_screenshots.py tests/web/test_changelog_phone.py \
	  -k "(digest_fits_the_screen and es) or (change_log_on_a_phone and sqlite)"
	mkdir -p docs/screenshots
	cp test-artifacts/digest-es-375.png test-artifacts/digest-es-800.png docs/screenshots/
	cp test-artifacts/changelog-375-sqlite.png docs/screenshots/changelog-375.png

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
