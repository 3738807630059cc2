# make run: serve the app on http://localhost:8501 with the demo store.
# make test: the whole suite, browser tests included, with the 20 slowest tests named.
# make test-fast: no browser, no slow store builds, plus ruff, mypy, the layer and size checks (about a minute).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= $(or $(DASHBOARD_STORE),var/store)
HOST   ?= 127.0.0.1
PORT   ?= 8501

.PHONY: run test test-fast lint venv dev demo sample bench clean chromium java

$(BIN)/dashboard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# dev includes the [spark] extra (the Spark-equals-DuckDB test); `make run` needs neither.
$(VENV)/.dev: $(BIN)/dashboard
	$(BIN)/pip install -q -e ".[dev,spark]"
	touch $@

venv: $(BIN)/dashboard
dev: $(VENV)/.dev

$(STORE)/.demo-built: | $(BIN)/dashboard
	$(BIN)/dashboard --store $(STORE) demo --sample data/sample

demo: $(STORE)/.demo-built

run: $(STORE)/.demo-built
	$(BIN)/dashboard --store $(STORE) serve --host $(HOST) --port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Spark 4 (the [spark] extra) runs on a JVM: Debian's headless OpenJDK 17 when there is no java.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian's headless OpenJDK 17 for the Spark engine's tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

test: dev chromium java
	$(BIN)/ruff check src app pages tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_layers.py
	$(BIN)/python scripts/check_sizes.py
	$(BIN)/python -m pytest -q --durations=20

test-fast: dev
	$(BIN)/ruff check src app pages tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_layers.py
	$(BIN)/python scripts/check_sizes.py
	$(BIN)/python -m pytest -q -m "not e2e and not slow" --durations=10

lint: dev
	$(BIN)/ruff check src app pages tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_layers.py
	$(BIN)/python scripts/check_sizes.py

sample: venv
	$(BIN)/dashboard sample --out data/sample

bench: dev
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
