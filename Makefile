# Two commands do everything: `make book` builds the HTML book, `make test` runs all tests.
# Both create .venv on first use and install the pinned requirements and course_utils.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The JavaScript the book's pages need, served from the book itself so that it works offline:
# MathJax 3 for the math, require.js and the ipywidgets HTML manager for widget outputs.
# Fetched once from the npm registry (npm pack: the packages only, no dependencies).
VENDOR := _build/vendor
MATHJAX_VERSION := 3.2.2
WIDGETS_VERSION := 1.0.15
REQUIREJS_VERSION := 2.3.8

.PHONY: book test bench vendor lint format student grade mutants clean help

help:
	@echo "make book     build the HTML book into _build/html (executes every chapter)"
	@echo "make test     run the whole test suite (unit tests, notebooks under COURSE_TINY=1, book build)"
	@echo "make bench    measure speed, chapter timings and quality into bench/results.md (PARTS=data,tiny,...)"
	@echo "make lint     check formatting and lint (ruff) of the package, tests and chapters"
	@echo "make format   reformat them with ruff"
	@echo "make student  write the student copy of every chapter (solutions removed) into student/"
	@echo "make grade    grade the notebooks in SUBMISSIONS (default: submissions/) into grades.csv"
	@echo "make mutants  mutation-test every exercise's check against its solution (report: _build/mutants.md)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

$(VENDOR)/.installed: Makefile
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/npm $(VENDOR)/mathjax $(VENDOR)/widgets
	cd $(VENDOR)/npm && npm pack --silent --no-fund mathjax@$(MATHJAX_VERSION) \
		@jupyter-widgets/html-manager@$(WIDGETS_VERSION) requirejs@$(REQUIREJS_VERSION) >/dev/null
	tar -xzf $(VENDOR)/npm/mathjax-$(MATHJAX_VERSION).tgz -C $(VENDOR)/mathjax --strip-components=2 \
		package/es5/tex-chtml-full.js package/es5/output/chtml/fonts/woff-v2 \
		package/es5/ui package/es5/a11y package/es5/sre
	tar -xzf $(VENDOR)/npm/mathjax-$(MATHJAX_VERSION).tgz -C $(VENDOR)/mathjax \
		--strip-components=1 package/LICENSE
	tar -xzf $(VENDOR)/npm/jupyter-widgets-html-manager-$(WIDGETS_VERSION).tgz \
		-C $(VENDOR)/widgets --strip-components=2 --wildcards 'package/dist/embed-amd.js' \
		'package/dist/*.woff*' 'package/dist/*.ttf' 'package/dist/*.eot' 'package/dist/*.svg'
	tar -xzf $(VENDOR)/npm/requirejs-$(REQUIREJS_VERSION).tgz -C $(VENDOR)/widgets \
		--strip-components=1 package/require.js
	rm -rf $(VENDOR)/npm
	touch $@

vendor: $(VENDOR)/.installed

# Executed chapters are cached (_config.yml: execute_notebooks: cache) and re-run only when their
# code changes; the cache is emptied when the scale or any file of course_utils changes.
CACHE     := _build/.jupyter_cache
CACHE_KEY := _build/.jupyter_cache_key
book: $(STAMP) $(VENDOR)/.installed
	@key="$$($(BIN)/python -c 'import course_utils.config as c; print(c.scale())') \
	$$(cat $$(find course_utils -name '*.py' | sort) | sha1sum | cut -c1-16)"; \
	if [ "$$(cat $(CACHE_KEY) 2>/dev/null)" != "$$key" ]; then \
	  rm -rf $(CACHE); echo "executing every chapter (scale or course_utils changed)"; fi; \
	mkdir -p _build && echo "$$key" > $(CACHE_KEY)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going
	@echo "Open _build/html/index.html"

test: $(STAMP) $(VENDOR)/.installed
	$(BIN)/python -m pytest

PARTS ?= data,tiny,quality,build,grading
BENCH_ARGS ?=   # e.g. --threads 1 on a machine shared with other jobs
bench: $(STAMP) $(VENDOR)/.installed
	$(BIN)/python bench/run.py --parts $(PARTS) $(BENCH_ARGS)

LINTED := course_utils tests bench book/*.py book/_ext
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(STAMP)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

student: $(STAMP)
	$(BIN)/python -m course_utils.teaching.student student

SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(BIN)/python -m course_utils.grade $(SUBMISSIONS) --out grades.csv

# Every exercise's solution mutated (tests/mutation/mutate.py), each mutant run through the
# exercise's checks at the tiny scale; fails on a surviving mutant not explained in
# tests/mutation/equivalent.toml. CHAPTERS="book/01_linear_autoencoder.py ..." runs some only.
CHAPTERS ?=
mutants: $(STAMP)
	COURSE_SCALE=tiny COURSE_OFFLINE=1 MPLBACKEND=Agg PYTHONPATH=$(CURDIR) \
		$(BIN)/python tests/mutation/mutate.py $(CHAPTERS) --report _build/mutants.md

clean:
	rm -rf _build student grades.csv
