# MLOps Lab: `make lab` opens the workbook, `make test` proves it works. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two environments in one .venv, each pinned exactly: what a learner needs (requirements.lock: the labs' libraries,
# JupyterLab, the MLflow UI), and on top of it the contributor tools (requirements-dev.lock: pytest, nbval, ruff,
# playwright) that `make test`, `make lint` and the authoring targets add. Both locks are compiled from pyproject.toml
# together, so a library has the same version in both. Each has its stamp, so a second run installs nothing.
LAB_STAMP := $(VENV)/.installed-lab
DEV_STAMP := $(VENV)/.installed-dev
UV_VERSION := 0.13.8
# USE_UV=0 installs with plain pip (slower, no extra tool). Both install compiled bytecode: where
# PYTHONDONTWRITEBYTECODE is set (as on CI machines), every kernel would otherwise recompile scikit-learn, pandas
# and MLflow from source, about 20 s per process on a busy 2-core machine instead of 2 s.
USE_UV ?= 1
# JupyterLab refuses to run as root without this flag; a learner's laptop does not need it.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Both editions: the English notebooks in notebooks/ and the Spanish ones in notebooks/es/ (same code, same names).
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb notebooks/es/*.ipynb))

export PYTHONHASHSEED := 0
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.PHONY: install install-dev lab mlflow-ui test test-browser batch notebooks lint bench clean

# The project's Jupyter config (etc/jupyter: JupyterLab's news pop-up off, so the lab works offline and nothing covers
# the widgets) goes into the environment, where every `jupyter` started from .venv reads it.
JUPYTER_CONFIG := $(VENV)/etc/jupyter/labconfig/page_config.json

# The workbook's own package is installed editable, which --compile-bytecode does not reach: its bytecode is compiled
# here (up-to-date files are skipped, ~0.1 s), or where PYTHONDONTWRITEBYTECODE is set every kernel compiles the
# package's modules again (0.1 s of CPU per notebook, measured).
install: $(LAB_STAMP) $(JUPYTER_CONFIG)
	$(BIN)/python -m compileall -q mlops_lab

install-dev: install $(DEV_STAMP)

$(JUPYTER_CONFIG): etc/jupyter/labconfig/page_config.json $(LAB_STAMP)
	install -D -m 644 $< $@

# $(call pip_install,LOCK): the pinned packages of LOCK, then the workbook itself (editable, no dependencies).
define pip_install
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if [ "$(USE_UV)" = 1 ] && $(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION); then \
		$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r $(1) && \
		$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . ; \
	else \
		$(BIN)/python -m pip install -q --disable-pip-version-check -r $(1) && \
		$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e . ; \
	fi
endef

$(LAB_STAMP): requirements.lock pyproject.toml
	$(call pip_install,requirements.lock)
	touch $@

$(DEV_STAMP): requirements-dev.lock $(LAB_STAMP)
	$(call pip_install,requirements-dev.lock)
	touch $@

lab: install
	@echo "Starting JupyterLab on notebooks/ (English; the Spanish edition is in notebooks/es/); open the http://127.0.0.1 URL it prints (Ctrl-C stops it)."
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=127.0.0.1 $(ROOT_FLAG)

# MLflow's own web UI on the tracking store the notebooks write ($MLOPS_LAB_WORKSPACE, else notebooks/workspace, where
# JupyterLab's kernels run), served on 127.0.0.1 only. `make mlflow-ui MLFLOW_PORT=5001` picks another port.
MLFLOW_WORKSPACE ?= $(or $(MLOPS_LAB_WORKSPACE),notebooks/workspace)
MLFLOW_PORT ?= 5000
mlflow-ui: install
	@test -f $(MLFLOW_WORKSPACE)/mlflow.db || echo "No runs in $(MLFLOW_WORKSPACE) yet (run notebook 01 first); the UI starts empty."
	@echo "MLflow UI on http://127.0.0.1:$(MLFLOW_PORT) (Ctrl-C stops it)."
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath $(MLFLOW_WORKSPACE))/mlflow.db --host 127.0.0.1 --port $(MLFLOW_PORT)

test: install-dev
	$(BIN)/mlops-lab quiz validate
	$(BIN)/python -m pytest -n 2 --dist loadscope tests $(NOTEBOOKS) --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# Every notebook executed headless by `mlops-lab batch` into $(BATCH_DIR)/<row>/ (notebooks/ is never written), then
# a class report. ROSTER=roster.csv runs one row per learner (default: one row named "default" with the notebooks'
# own parameters); WORKERS=N local processes; FORCE=1 reruns runs that already succeeded (otherwise they are skipped).
# EDITION=es runs the Spanish edition (notebooks/es/) instead of the English one; the grades are the same.
BATCH_DIR ?= build/batch
EDITION ?=
BATCH_NOTEBOOKS = $(sort $(wildcard notebooks/$(if $(EDITION),$(EDITION)/)*.ipynb))
batch: install
	$(BIN)/mlops-lab batch $(BATCH_NOTEBOOKS) --output $(BATCH_DIR) $(if $(ROSTER),--roster $(ROSTER)) \
		$(if $(WORKERS),--workers $(WORKERS)) $(if $(FORCE),--force); status=$$?; \
	$(BIN)/mlops-lab report --batch $(BATCH_DIR) --output $(BATCH_DIR)/report.html; \
	echo "Executed notebooks are in $(BATCH_DIR)/<row>/ (the originals in notebooks/ are untouched); report: $(BATCH_DIR)/report.html"; \
	exit $$status

# NB=00_start_here builds one English notebook, NB=es/00_start_here its Spanish twin, NB=es the Spanish edition.
notebooks: install-dev
	$(BIN)/python scripts/build_notebooks.py $(NB)

# JupyterLab in headless Chromium (Debian's `chromium` package): runs 00_start_here, answers its quiz by clicking.
# `make test` runs the same test when Chromium is installed and skips it otherwise; here a missing browser is an error.
test-browser: install-dev
	MLOPS_LAB_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -v tests/browser
	@echo "Screenshots are in build/screenshots/."

# Everything ruff sees (the package, tests, scripts, benchmarks and the notebooks' paired scripts; see pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Performance: the workbook against its import floor, the slowest cell, import time, batch scaling, setup and test
# times. Prints tables and writes benchmarks/results.json (about 15 minutes on a quiet 2-core machine).
bench: install-dev
	$(BIN)/python benchmarks/workbook.py --repeat 3 --output benchmarks/results.json
	$(BIN)/python benchmarks/batch_scaling.py --output benchmarks/results.json
	$(BIN)/python benchmarks/setup_and_tests.py --output benchmarks/results.json
	$(BIN)/python benchmarks/grading.py --output benchmarks/results.json

clean:
	@echo "Removing .venv and build outputs; your workspace (progress, runs, models) is kept."
	rm -rf $(VENV) build .pytest_cache *.egg-info
