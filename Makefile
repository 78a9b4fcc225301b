# casewatch: `make run` watches the configured sources; `make test` runs the test suite.
# Every target creates and uses .venv by itself.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install chromium run test demo lint eval screenshots clean

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

## test: lint, then the whole suite, on SQLite and on the local PostgreSQL server
test: install chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2

## demo: offline replica sites change, casewatch notices, a digest lands in var/outbox/
demo: install
	$(BIN)/casewatch demo

## eval: relevance and legal-step figures on the tuning set (eval/v2, v4, v5, v6); a held-out set
## once, at the end of a round of work: make eval SET=v7 (SET=v3 was the first). One set: SET=v2, v4..v6
SET   ?= tune
SPLIT ?=
eval: install
	$(BIN)/python eval/run.py --set $(SET) $(if $(SPLIT),--split $(SPLIT))

## screenshots: a digest at 375 and 800 px and the change log at 375 px, in Chromium, into docs/screenshots/
screenshots: install chromium
	$(BIN)/pytest -q -n 0 tests/alerts/test_screenshots.py tests/web/test_changelog_phone.py \
	  -k "(digest_fits_the_screen and es) or (change_log_on_a_phone and sqlite)"
	mkdir -p docs/screenshots
	cp test-artifacts/digest-es-375.png test-artifacts/digest-es-800.png docs/screenshots/
	cp test-artifacts/changelog-375-sqlite.png docs/screenshots/changelog-375.png

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
