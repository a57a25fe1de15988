# Two set-up commands for a fresh clone:
#   make run    virtualenv + core + every plugin, SQLite database, demo API key, serve on 127.0.0.1:8000
#   make test   the whole tox matrix (core, one env per plugin, e2e, lint)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PLUGINS := $(sort $(dir $(wildcard plugins/*/setup.cfg)))

export SMSHOOKS_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg $(wildcard plugins/*/setup.cfg)
	$(BIN)/pip install --quiet -e . $(foreach p,$(PLUGINS),-e $(p))
	touch $@

$(VENV)/.tox-installed: $(BIN)/python
	$(BIN)/pip install --quiet "tox>=4.11" "tox-uv>=1.11"
	touch $@

run: $(VENV)/.installed
	$(BIN)/smshooks db upgrade
	@test -s "$(SMSHOOKS_DATA_DIR)/demo-api-key" || \
		$(BIN)/smshooks apikey create --org demo --name "make run" --output "$(SMSHOOKS_DATA_DIR)/demo-api-key"
	@sh scripts/demo-banner.sh "http://$(HOST):$(PORT)" "$$(cat "$(SMSHOOKS_DATA_DIR)/demo-api-key")"
	$(BIN)/smshooks serve --host $(HOST) --port $(PORT)

# the envs run side by side (3 at a time): core keeps both cores busy with xdist while e2e waits on its
# servers and browser, so the matrix takes about the time of its longest env instead of their sum
test: $(VENV)/.tox-installed
	$(BIN)/tox run-parallel --parallel 3 --parallel-no-spinner

lint: $(VENV)/.tox-installed
	$(BIN)/tox run -e lint

clean:
	rm -rf $(VENV) .tox build core/*.egg-info plugins/*/*.egg-info
