# The two commands a new user needs: `make demo` runs the system, `make test` runs the whole suite.
# Both install what is missing first (scripts/bootstrap.sh).

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test soak lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

# `python -m` from the checkout, not the `sortcentre` script: the demo and the simulators are development code
# (firmware_mocks, local_servers) that the package leaves out, found here on the checkout's own path.
# `make demo DEMO_ARGS=--learning` runs the learning loop's demo (docs/demo.md).
DEMO_ARGS ?=
demo: setup
	$(BIN)/python -m sortcentre demo $(DEMO_ARGS)

test: setup lint
	$(BIN)/python -m pytest

# The outage and kill tests, and the unattended demo, at full size (`make test` runs them shorter): about 12 minutes.
soak: setup
	SORTCENTRE_SOAK=full $(BIN)/python -m pytest tests/integration/test_station_durability.py tests/integration/test_hub_failures.py \
		tests/integration/test_demo.py::test_an_unattended_demo_raises_no_warning_and_grades_the_textiles

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
