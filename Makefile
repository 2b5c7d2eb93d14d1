# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Local commands run in development mode; production sets DJANGO_DEBUG=0 and a real secret key.
export DJANGO_DEBUG ?= 1

.PHONY: install run test fuzz-api bench lock clean

# Installs the dependencies, then compiles the translation catalogues (.po -> .mo, pure Python;
# the .mo files are not committed).
install: $(VENV)/.installed
	$(BIN)/python manage.py compile_translations --verbosity 0

# Reinstalls only when the lock file changes.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_dialogue
	$(BIN)/python manage.py ensure_superuser
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Schemathesis over every API endpoint, against gunicorn on 127.0.0.1 with a throwaway database
# (tests/fuzz_api.py); CI runs it after the suite. Its summary: test-artifacts/schemathesis.txt.
fuzz-api: install
	$(BIN)/python tests/fuzz_api.py

# The benchmark at 10,000 commitments (see bench/run.py; BENCH_ARGS=--load adds the gunicorn load),
# then spreadsheet imports of 10,000 rows through the admin (bench/imports.py), then the weekly
# digest for 1,000 readers (bench/digests.py).
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/digests.py

# Re-pin every dependency after editing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
