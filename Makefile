# Two commands do everything: `make book` builds the HTML book, `make test` runs all tests.
# Both create .venv on first use and install the pinned requirements and course_utils.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Which edition `make book` builds: student (the default: what a course publishes, with no
# solutions) or teacher (every solution shown and marked). Each goes to _build/EDITION/html.
EDITION ?= student
# The settings of _config.yml's `course:` section that make needs.
COURSE_SETTING = $$($(BIN)/python -c 'import sys, yaml; print(yaml.safe_load(open("_config.yml"))["course"][sys.argv[1]])' $(1))

.PHONY: book test test-fast bench lint format student grade mutants clean help

help:
	@echo "make book     build the student edition of the HTML book into _build/student/html (executes every chapter)"
	@echo "make book EDITION=teacher   the teacher edition (solutions shown) into _build/teacher/html"
	@echo "make test     run the whole test suite (unit tests, notebooks under COURSE_TINY=1, book build)"
	@echo "make test-fast   every test but the slow ones (notebook runs, book build, browser, grading runs)"
	@echo "make bench    measure speed, chapter timings and quality into bench/results.md (PARTS=data,tiny,...)"
	@echo "make lint     check formatting and lint (ruff) of the package, tests and chapters"
	@echo "make format   reformat them with ruff"
	@echo "make student  write the student copy of every chapter (solutions removed) into student/ (committed)"
	@echo "make grade    grade the notebooks in SUBMISSIONS (default: submissions/) into grades.csv"
	@echo "make mutants  mutation-test every exercise's check against its solution (report: _build/mutants.md)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

# Executed chapters are cached (_config.yml: execute_notebooks: cache) and re-run only when their
# code changes; the cache is emptied when the scale or any file of course_utils changes. Both
# editions execute the same notebooks and share the cache: the second one executes nothing.
# Only Python is needed: MathJax comes from a pinned PyPI package (book/_ext/course_book.py).
CACHE     := _build/.jupyter_cache
CACHE_KEY := _build/.jupyter_cache_key
book: $(STAMP)
	@case "$(EDITION)" in student|teacher) ;; \
	  *) echo "EDITION must be student or teacher, not '$(EDITION)'"; exit 2;; esac
	@key="$$($(BIN)/python -c 'import course_utils.config as c; print(c.scale())') \
	$$(cat $$(find course_utils -name '*.py' | sort) | sha1sum | cut -c1-16)"; \
	if [ "$$(cat $(CACHE_KEY) 2>/dev/null)" != "$$key" ]; then \
	  rm -rf $(CACHE); echo "executing every chapter (scale or course_utils changed)"; fi; \
	mkdir -p _build && echo "$$key" > $(CACHE_KEY)
	COURSE_EDITION=$(EDITION) COURSE_BOOK_CACHE=$(CURDIR)/$(CACHE) $(BIN)/jupyter-book build . \
	  --all --warningiserror --keep-going --path-output _build/$(EDITION)
	rm -rf _build/$(EDITION)/html && mv _build/$(EDITION)/_build/html _build/$(EDITION)/html
	@echo "Open _build/$(EDITION)/html/index.html ($(EDITION) edition)"

test: $(STAMP)
	$(BIN)/python -m pytest

# The edit-test loop: tests/unit, claims, checks, teaching and book without the tests marked
# slow (those that run notebooks: tests/conftest.py marks them and fails any other that does),
# one worker per core (-n auto), each on one thread; an idle worker takes tests off a busy one.
test-fast: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -m "not slow" -n auto --dist worksteal

PARTS ?= data,tiny,quality,build,grading
BENCH_ARGS ?=   # e.g. --threads 1 on a machine shared with other jobs
bench: $(STAMP)
	$(BIN)/python bench/run.py --parts $(PARTS) $(BENCH_ARGS)

LINTED := course_utils tests bench book/*.py book/_ext
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(STAMP)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# The student copies, committed where _config.yml's course.student_copies says (a test keeps
# them in step with the chapters: run this after changing a chapter).
student: $(STAMP)
	$(BIN)/python -m course_utils.teaching.student $(call COURSE_SETTING,student_copies)

SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(BIN)/python -m course_utils.grade $(SUBMISSIONS) --out grades.csv

# Every exercise's solution mutated (tests/checks/mutation/mutate.py), each mutant run through
# the exercise's checks at the tiny scale; fails on a surviving mutant not explained in
# tests/checks/mutation/equivalent.toml. CHAPTERS="book/01_linear_autoencoder.py ..." runs some only.
CHAPTERS ?=
mutants: $(STAMP)
	COURSE_SCALE=tiny COURSE_OFFLINE=1 MPLBACKEND=Agg PYTHONPATH=$(CURDIR) \
		$(BIN)/python tests/checks/mutation/mutate.py $(CHAPTERS) --report _build/mutants.md

clean:
	rm -rf _build grades.csv
