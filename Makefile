# The two commands of the README: `make run` (demo) and `make test` (whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint bench-heartbeat bench-report bench-certificates browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: SQLite + embedded Redis + the WeChat simulator, demo data, served on PORT.
run: $(STAMP)
	SHIGANG_ENV=development $(BIN)/python -m backend.devserver --port $(PORT)

## make test: the whole suite on PostgreSQL and Redis (override DATABASE_URL=sqlite:// for SQLite).
test: $(STAMP) browser-deps
	DATABASE_URL=$${DATABASE_URL-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

## make browser-deps: Debian's chromium and CJK fonts for the browser tests (needs root or sudo).
browser-deps:
	.ci/browser-deps

## make bench-heartbeat: heartbeats at the production mix vs the bare WSGI floor (and a minimal
## Flask endpoint), load from wrk (installed from Debian's packages when missing; needs root or
## sudo), PostgreSQL + Redis.
bench-heartbeat: $(STAMP)
	command -v wrk >/dev/null || $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q wrk
	$(BIN)/python -m bench.heartbeat $(BENCH_ARGS)

## make bench-certificates: 1,000 certificates issued at a close and their zip (PostgreSQL, Redis).
bench-certificates: $(STAMP)
	$(BIN)/python -m bench.certificates $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## make bench-report: seeds two PostgreSQL databases of its own (10k trainees and 1M sessions, and
## a tenth of that; ARGS="--trainees 100000 --sessions 10000000"), times the trainee table, the
## full hours xlsx and the bare SQL aggregate, prints the figures against the targets, drops them.
bench-report: $(STAMP)
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m bench.report $(ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
