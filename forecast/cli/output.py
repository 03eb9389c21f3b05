"""What ``forecast compare`` prints and writes: the tables, and with ``--out`` the CSV
tables, ``report.md`` and (one series) PNG figures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from forecast.cli.parser import CommandError

#: how many of the last targets the forecast figure shows
FIGURE_LAST = 60


def check_out(out: str | None) -> None:
    """Refuse an ``--out`` that exists and is not a folder, before any work is done."""
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise CommandError(f"forecast compare: --out {out!r} is a file; name a folder "
                           "(it is created if missing)")


def report_result(
    result: Any, source: str, out: str | None, began: float, *, counted: str, figures: bool
) -> None:
    """Print ``result``'s tables under the heading ``source``; write them into ``out``.

    Parameters
    ----------
    result : CompareResult or MultiCompareResult
        What :func:`forecast.compare` returned.
    source : str
        Where the prices come from; heads the printout and ``report.md``.
    out : str or None
        ``--out``: the folder for the CSV tables, ``report.md`` (ending with the run
        time) and, with ``figures``, the PNG figures.
    began : float
        :func:`time.perf_counter` when the command started.
    counted : str
        What was compared, for the last line (``3 models on 40 origins``).
    figures : bool
        Also draw the figures of :func:`write_figures` (one series).
    """
    elapsed = time.perf_counter() - began
    report = f"# {source}\n\n{result.to_markdown()}"
    print(report)
    if out:
        folder = Path(out)
        written = list(result.to_csv(folder))
        (folder / "report.md").write_text(f"{report}\nRun time: {elapsed:.1f} s\n")
        written.append(folder / "report.md")
        if figures:
            written += write_figures(result, folder, source.split(",")[0])
        print(f"wrote {len(written)} files to {out}")
    print(f"compared {counted} in {time.perf_counter() - began:.1f} s")


def write_figures(result: Any, out: Path, label: str) -> list[Path]:
    """Draw ``result``'s forecast, cumulative loss, error and training figures into ``out``.

    The cumulative loss needs two models and the training figure an RNN; each title
    starts with ``label``. Returns the paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    written = []
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


def report_direction(result: Any, source: str, out: str | None, began: float) -> None:
    """Print a :class:`~forecast.evaluation.direction.DirectionComparison` under ``source``;
    with ``out`` write its CSV tables, ``report.md`` and ``reliability.png`` there."""
    report = f"# {source}\n\n{result.to_markdown()}"
    print(report)
    if out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        folder = Path(out)
        written = list(result.to_csv(folder))
        (folder / "report.md").write_text(
            f"{report}\nRun time: {time.perf_counter() - began:.1f} s\n")
        fig, ax = plt.subplots(figsize=(6, 6))
        try:
            result.plot(ax=ax)
            ax.set_title(f"{source.split(',')[0]}: reliability of P(up), "
                         f"{result.settings['n_origins']} days")
            fig.tight_layout()
            fig.savefig(folder / "reliability.png", dpi=110)
        finally:
            plt.close(fig)
        written += [folder / "report.md", folder / "reliability.png"]
        print(f"wrote {len(written)} files to {out}")
    print(f"compared {len(result.models)} up/down models on {result.settings['n_origins']} "
          f"origins in {time.perf_counter() - began:.1f} s")
