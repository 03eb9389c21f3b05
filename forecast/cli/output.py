"""What ``forecast compare`` prints and writes: the tables, and with ``--out`` the CSV
tables, the PNG figures (of each series, and the summary across many) and ``report.md``
embedding them with captions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from forecast.cli.parser import CommandError

#: how many of the last targets the forecast figure shows
FIGURE_LAST = 60
#: resolution of the PNG figures
DPI = 150
#: the figure files of one series, by plot kind
FIGURES = {"forecast.png": "forecast", "cumulative_loss.png": "loss", "errors.png": "errors",
           "training.png": "training"}


def check_out(out: str | None) -> None:
    """Refuse an ``--out`` that exists and is not a folder, before any work is done."""
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise CommandError(f"--out {out!r} is a file; name a folder "
                           "(it is created if missing)")


def report_result(
    result: Any, source: str, out: str | None, began: float, *, counted: str
) -> None:
    """Print ``result``'s tables under the heading ``source``; write them into ``out``.

    Parameters
    ----------
    result : CompareResult
        What :func:`forecast.compare` returned, for one series or many.
    source : str
        Where the prices come from; heads the printout and ``report.md``.
    out : str or None
        ``--out``: the folder for the CSV tables, the PNG figures of each series (in the
        series' folder for many, with ``summary.png`` across them) and ``report.md``,
        which embeds each figure with a one-line caption and ends with the run time.
    began : float
        :func:`time.perf_counter` when the command started.
    counted : str
        What was compared, for the last line (``3 models on 40 origins``).
    """
    from forecast.evaluation.report import figures_markdown

    report = f"# {source}\n\n{result.to_markdown()}"
    print(report)
    if out:
        folder = Path(out)
        written = list(result.to_csv(folder))
        if result.one_series:
            figures = write_figures(result, folder, source.split(",")[0])
        else:
            from forecast.evaluation.results import safe_name

            figures = [write_summary(result, folder, source.split(",")[0])]
            for name, comparison in result.results.items():
                figures += write_figures(comparison, folder / safe_name(name), name)
        shown = [p.relative_to(folder).as_posix() for p in figures]
        elapsed = time.perf_counter() - began
        (folder / "report.md").write_text(
            f"{report}\n{figures_markdown(shown)}\nRun time: {elapsed:.1f} s\n")
        written += [*figures, folder / "report.md"]
        print(f"wrote {len(written)} files to {out}")
    print(f"compared {counted} in {time.perf_counter() - began:.1f} s")


def _save(fig: Any, path: Path, title: str) -> Path:
    """Save ``fig`` at :data:`DPI` with ``title`` above everything, and close it."""
    import matplotlib.pyplot as plt

    try:
        heading = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""  # mpl >= 3.8
        fig.suptitle(f"{title}: {heading}" if heading else title, fontsize="large")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def write_figures(comparison: Any, out: Path, label: str) -> list[Path]:
    """Draw one series' forecast, cumulative loss, error and training figures into ``out``.

    The cumulative loss needs two models and the training figure an RNN (one with a
    ``history_``); each figure is titled with ``label``. Returns the paths written.
    """
    _agg()
    written = []
    for filename, kind in FIGURES.items():
        if kind == "loss" and len(comparison.models) < 2:
            continue
        if kind == "training" and not any(
            getattr(m, "history_", None) for m in comparison.models.values()
        ):
            continue
        ax = comparison.plot(kind, **({"last": FIGURE_LAST} if kind == "forecast" else {}))
        written.append(_save(ax.figure, out / filename, label))
    return written


def write_summary(result: Any, out: Path, label: str) -> Path:
    """Draw the cross-series summary figure of a comparison of many series into ``out``,
    titled with ``label``."""
    _agg()
    ax = result.plot("summary")
    return _save(ax.figure, out / "summary.png", label)


def _agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


def report_direction(result: Any, source: str, out: str | None, began: float) -> None:
    """Print a :class:`~forecast.evaluation.direction.DirectionComparison` under ``source``;
    with ``out`` write its CSV tables, ``report.md`` and ``reliability.png`` there."""
    report = f"# {source}\n\n{result.to_markdown()}"
    print(report)
    if out:
        _agg()
        import matplotlib.pyplot as plt

        folder = Path(out)
        written = list(result.to_csv(folder))
        (folder / "report.md").write_text(
            f"{report}\n![reliability of P(up)](reliability.png)\n\n"
            f"Run time: {time.perf_counter() - began:.1f} s\n")
        fig, ax = plt.subplots(figsize=(6, 6))
        result.plot(ax=ax)
        _save(fig, folder / "reliability.png",
              f"{source.split(',')[0]}: {result.settings['n_origins']} days")
        written += [folder / "report.md", folder / "reliability.png"]
        print(f"wrote {len(written)} files to {out}")
    print(f"compared {len(result.models)} up/down models on {result.settings['n_origins']} "
          f"origins in {time.perf_counter() - began:.1f} s")
