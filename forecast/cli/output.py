"""The files of ``forecast compare --out``: CSV tables, ``report.md`` and PNG figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: how many of the last targets the forecast figure shows
FIGURE_LAST = 60


def write_outputs(result: Any, out: Path, source: str, elapsed: float) -> list[Path]:
    """Write ``result``'s CSV tables, report.md and PNG figures into the folder ``out``.

    Returns the paths written. ``source`` heads the report; ``elapsed`` (seconds) ends it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = result.to_csv(out)
    report = out / "report.md"
    report.write_text(f"# {source}\n\n{result.to_markdown()}\nRun time: {elapsed:.1f} s\n")
    written.append(report)
    label = source.split(",")[0]
    h = result.settings["horizon"]
    ahead = "one-step" if h == 1 else "step-1"
    titles = {
        "forecast": f"{ahead} forecasts, last {FIGURE_LAST} targets",
        "loss": "",
        "errors": f"{ahead} forecast errors",
        "training": "RNN training loss (final fit)",
    }
    figures = {
        "forecast.png": dict(kind="forecast", last=FIGURE_LAST),
        "cumulative_loss.png": dict(kind="loss"),
        "errors.png": dict(kind="errors"),
        "training.png": dict(kind="training"),
    }
    for filename, options in figures.items():
        if options["kind"] == "loss" and len(result.models) < 2:
            continue
        if options["kind"] == "training" and not any(
            getattr(m, "history_", None) for m in result.models.values()
        ):
            continue
        fig, ax = plt.subplots(figsize=(10, 5))
        try:
            result.plot(ax=ax, **options)
            ax.set_title(f"{label}: {titles[options['kind']] or ax.get_title()}")
            fig.tight_layout()
            fig.savefig(out / filename, dpi=110)
        finally:
            plt.close(fig)
        written.append(out / filename)
    return written
