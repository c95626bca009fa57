"""Tools for instructors: the exercise convention, student copies and the grader.

Kept apart from the rest of ``course_utils`` so that a student who imports the models
never imports nbformat or nbclient; install them with ``pip install .[instructor]``.
"""
