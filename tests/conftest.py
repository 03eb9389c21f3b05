"""Shared test setup: figures off-screen, and reproducible property tests on CI."""

import os

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")

# On CI (CI=true) hypothesis draws the same examples every run, so a red build is reproducible;
# locally it explores new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
