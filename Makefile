# Every target creates .venv and installs the kit into it when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup test demo bench build mutants screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[bench,test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) -m autograder demo

bench: $(STAMP)
	$(PY) -m bench

build: $(STAMP)
	$(PY) -m assignments.build

# the README's pictures, taken by the browser tests
screenshots: $(STAMP)
	KIT_DOCS_SCREENSHOTS=1 $(PY) -m pytest -q tests/browser/test_report_and_feedback.py

mutants: $(STAMP)
	$(PY) tools/mutants.py

clean:
	rm -rf $(VENV) build *.egg-info
