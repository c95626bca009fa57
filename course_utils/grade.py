"""``python -m course_utils.grade``: a short name for :mod:`course_utils.teaching.grade`."""

from course_utils.teaching.grade import main

if __name__ == "__main__":
    raise SystemExit(main())
