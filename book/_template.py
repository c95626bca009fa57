# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. The chapter's title
#
# <!-- Template of a chapter (CONTRIBUTING.md, "Chapters"). Copy it to book/NN_name.py, with
# NN the next chapter number and the title's number the same; write the lesson; then
# `.venv/bin/jupytext --sync book/NN_name.py`, add book/NN_name to _toc.yml, and
# `make student`. Comments like this one are not shown on the page. -->
#
# One or two paragraphs: what this chapter is about, and why a reader should care. Say
# what the previous chapter left open.
#
# **Learning goals.** After this chapter you can
# - do the first thing this chapter teaches;
# - explain the second, and check it numerically.

# %% [markdown]
# ## Setup
#
# The first cell only does something in Google Colab: it installs the course's small helper
# package, `course_utils`, at the course's release `main` (there is no tagged release yet), so
# that the checks you run are the ones that grade you. Anywhere else, install it once with
# `pip install "git+https://github.com/autoencoders-in-pytorch/course@main"` (in a clone of the
# course, `make book` or `pip install -e .` has done it).

# %%
import subprocess
import sys

# the release that _config.yml names (course.release), the same in every chapter
COURSE = "git+https://github.com/autoencoders-in-pytorch/course@main"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)

# %% [markdown]
# The cell below sets every size of the chapter, at three scales: `book` (the default, minutes
# on a laptop CPU), `tiny` (seconds, how the tests and the grader run it:
# `COURSE_SCALE=tiny`) and `full` (all of MNIST, for a GPU: first run
# `import os; os.environ["COURSE_SCALE"] = "full"`). `cu.config.by_scale` picks the value for
# the current scale; seeds are fixed, so a run gives the same numbers every time.

# %%
import course_utils as cu

cu.config.seed_everything(0)
device = cu.config.get_device()
# None at the full scale: all of them (read the number from the data, not the size)
N_TRAIN = cu.config.by_scale(tiny=500, book=4_000, full=None)
N_TEST = cu.config.by_scale(tiny=200, book=1_000, full=None)
EPOCHS = cu.config.by_scale(tiny=2, book=20, full=50)
print(f"device: {device}, scale: {cu.config.scale()}, epochs: {EPOCHS}")

# %% [markdown]
# ## The data
#
# MNIST's 28 × 28 grey-scale digits {cite:p}`lecun1998`, loaded once, at the top level, with
# the sizes above (a test checks that the book scale loads the same images online and
# offline).

# %%
train = cu.data.load_mnist("train", limit=N_TRAIN)
test = cu.data.load_mnist("test", limit=N_TEST)

# %% [markdown]
# ## The lesson
#
# The math in MyST ($\hat x = g(f(x))$), one idea per cell. Where a model or a loop *is* the
# lesson, show the source the chapter runs rather than a second copy:

# %%
cu.notebook.show_source(cu.models.linear.LinearAutoencoder)

# %% [markdown]
# Then train it, with the course's one training loop, and show what happened in a figure with
# a title:

# %%
cu.config.seed_everything(0)
model = cu.models.linear.LinearAutoencoder(bottleneck=16).to(device)
history = cu.training.fit(
    model, train.images, test.images, epochs=EPOCHS, batch_size=64, progress=False
)
cu.plotting.plot_losses(history, title="linear autoencoder, k = 16")

# %% [markdown]
# Every sentence about a model is backed by a number the page prints. A finding goes through
# `cu.results.finding`: asserted at the scale where it was checked (the book's, by default),
# printed as holding or not at the others.

# %%
ae_mse = cu.training.evaluate(model, test.images)
# drawing the average digit for every image: the error of a model that learnt nothing
mean_image_mse = float(test.images.var(dim=0, unbiased=False).mean())
cu.results.finding(
    f"the autoencoder's test MSE {ae_mse:.4f} is below the average digit's "
    f"{mean_image_mse:.4f}",
    ae_mse < mean_image_mse,
)

# %% [markdown]
# ## Exercise ex-2.1: the exercise's title
#
# <!-- Chapter 2's exercise stands in here so that the template runs. A chapter's own
# exercise is ex-N.M (N its number), and its checks live in course_utils/checks/<name>.py:
# CONTRIBUTING.md, "Checks". -->
#
# The task, in numbered steps, naming everything the answer must define: here, choose
# `decoder_padding` and `decoder_output_padding` (three integers each) so that chapter 2's
# `exercise_decoder` mirrors its `exercise_encoder`, 28 → 14 → 7 → 4 and back.
#
# The check cell below is the exercise's public check: run it to see at once whether your
# answer passes. Say here what it checks.

# %% tags=["solution", "ex-2.1"]
### BEGIN SOLUTION
decoder_padding = [1, 2, 2]
decoder_output_padding = [0, 1, 1]
### END SOLUTION

# %% tags=["check", "ex-2.1"]
from course_utils.checks.conv_arithmetic import check_mirror_decoder

check_mirror_decoder(decoder_padding, decoder_output_padding)

# %% [markdown]
# What the exercise shows, for a reader who has done it.
#
# ## Summary
#
# - The first thing the chapter showed, with the number that backs it.
# - The second.
#
# ## References
#
# {cite:t}`lecun1998` for the data; {cite:t}`goodfellow2016`, chapter 14, for autoencoders.
# The full list is on the [references](references.md) page.
