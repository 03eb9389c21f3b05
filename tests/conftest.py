"""Shared test setup: draw figures off-screen (no display, no plt.show())."""

import matplotlib

matplotlib.use("Agg")
