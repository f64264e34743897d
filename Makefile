# Each target creates the virtualenv from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint eval train bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/salesbot serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

eval: $(STAMP)
	$(BIN)/python -m tests.nlp_eval $(if $(LLM),--llm) $(EVAL_ARGS)
	$(BIN)/python -m tests.resolve_eval

train: $(STAMP)
	$(BIN)/salesbot nlp train --shipped $(if $(OUT),--out $(OUT))

bench: $(STAMP)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/resolve.py
	$(BIN)/python bench/callback.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/e2e.py
	$(BIN)/python bench/longconn.py
	$(BIN)/python bench/generate.py --scale $(if $(filter full,$(SCALE)),1,$(or $(SCALE),0.1))
	$(BIN)/python bench/scale.py --drop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
