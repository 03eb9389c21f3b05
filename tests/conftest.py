"""Shared test setup: figures off-screen, and reproducible property tests on CI."""

import os

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# On CI (CI=true) hypothesis draws the same examples every run, so a red build is reproducible;
# locally it explores new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def no_show_and_close(monkeypatch):
    """Fail if library code calls plt.show(); close every figure after the test."""
    import matplotlib.pyplot as plt

    def fail(*args, **kwargs):
        raise AssertionError("plt.show() was called by library code")

    monkeypatch.setattr(plt, "show", fail)
    yield
    plt.close("all")


@pytest.fixture
def ax():
    """A fresh Axes, closed after the test."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)
