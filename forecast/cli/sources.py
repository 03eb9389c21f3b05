"""``forecast compare`` on many series: ``--tickers``, ``--csv-dir`` or all of stocks_monthly.

Runs :func:`forecast.many.compare_many` with ``--n-jobs`` workers or on the Dask cluster at
``--scheduler``, prints the cross-series summary and the per-series tables, and with
``--out`` writes ``summary.csv``, one folder of tables per series, and ``report.md``.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.cli import (
    AR_MAX_ORDER,
    AR_REFIT_EVERY,
    RNN_NAMES,
    RNN_REFIT_EVERY,
    CommandError,
    download_failure,
    parse_date,
    positive_int,
    rnn_forecaster,
)

logger = logging.getLogger(__name__)

#: file names read by ``--csv-dir``
CSV_PATTERNS = ("*.csv", "*.csv.gz")


def add_many_arguments(cmp: argparse.ArgumentParser, source: Any) -> None:
    """Add ``--tickers``, ``--csv-dir`` (to the ``source`` group), ``--n-jobs`` and
    ``--scheduler`` to the ``compare`` parser."""
    source.add_argument("--tickers", type=_ticker_list,
                        help="many Yahoo tickers, comma-separated (e.g. AAPL,MSFT,IBM)")
    source.add_argument("--csv-dir", help="a folder of price CSV files, one series per file")
    cmp.add_argument("--n-jobs", type=_n_jobs, default=1,
                     help="many series: backtests run in parallel (-1: all cores; default 1)")
    cmp.add_argument("--scheduler", metavar="ADDRESS",
                     help="many series: run on this Dask cluster, e.g. tcp://host:8786 "
                     "(needs pip install forecast[dask])")


def _n_jobs(text: str) -> int:
    if text.strip() == "-1":
        return -1
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or -1 (all cores), got {text!r}"
        ) from None


def _ticker_list(text: str) -> list[str]:
    """``--tickers``: comma-separated Yahoo symbols, each checked before any download."""
    from forecast.data.yahoo import check_ticker

    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected tickers such as AAPL,MSFT, got {text!r}")
    try:
        checked = [check_ticker(name) for name in names]
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return list(dict.fromkeys(checked))


def compare_many_command(args: argparse.Namespace, began: float) -> int:
    """Run ``forecast compare`` on many series; return the exit code."""
    from forecast.many import compare_many

    data, source = load_many(args)
    models, refit = build_models_many(args)
    result = compare_many(
        models,
        data,
        horizon=args.horizon,
        test_size=args.test_size,
        refit_every=refit if args.refit_every is None else args.refit_every,
        window=args.window,
        train_size=args.train_size,
        progress=args.n_jobs == 1 and not args.scheduler,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
    )
    elapsed = time.perf_counter() - began
    report = f"# {source}\n\n{result.to_markdown()}"
    print(report)
    if args.out:
        out = Path(args.out)
        written = result.to_csv(out)
        (out / "report.md").write_text(f"{report}\nRun time: {elapsed:.1f} s\n")
        print(f"wrote {len(written) + 1} files to {args.out}")
    print(f"compared {len(models) + 1} models on {len(result.results)} series in "
          f"{time.perf_counter() - began:.1f} s")
    return 0


def load_many(args: argparse.Namespace) -> tuple[dict[str, pd.Series], str]:
    """The series asked for, by name, and a short description of where they come from."""
    from forecast.data._frame import canonical_field

    column = canonical_field(args.column or "close")
    if args.tickers:
        from forecast.data.yahoo import YahooDownloadError, load_yahoo

        try:
            frames = {t.upper(): load_yahoo(t, args.start, args.end, cache_dir=args.cache_dir)
                      for t in args.tickers}
        except YahooDownloadError as err:
            raise download_failure(err, "compare") from err
        source = f"yahoo: {', '.join(frames)}"
    elif args.csv_dir:
        from forecast.data.csv import load_csv

        folder = Path(args.csv_dir)
        if not folder.is_dir():
            raise CommandError(f"forecast compare: --csv-dir {args.csv_dir!r} is not a folder")
        files = sorted({p for pattern in CSV_PATTERNS for p in folder.glob(pattern)})
        if not files:
            raise CommandError(f"forecast compare: no .csv or .csv.gz files in {args.csv_dir!r}")
        names = [p.name.split(".")[0] for p in files]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            clash = [p.name for p in files if p.name.split(".")[0] in twice]
            raise CommandError(
                f"forecast compare: --csv-dir {args.csv_dir!r} holds {clash}, which would all "
                "be the series named " + ", ".join(repr(n) for n in twice) + "; keep one of them"
            )
        frames = {name: load_csv(p) for name, p in zip(names, files, strict=True)}
        source = f"{len(files)} files in {folder.name}"
    else:
        from forecast.data.bundled import load_dataset

        wide = load_dataset("stocks_monthly")
        data = {str(c): wide[c] for c in wide.columns}
        return _window(data, args), f"stocks_monthly, {', '.join(data)}"
    data = {}
    for name, frame in frames.items():
        if column not in frame.columns:
            raise CommandError(
                f"forecast compare: no column {column!r} in {name}; use --column with one of "
                f"{', '.join(map(str, frame.columns))}"
            )
        data[name] = frame[column]
    if args.tickers:  # load_yahoo has applied --start/--end
        return data, source
    return _window(data, args), source


def _window(data: dict[str, pd.Series], args: argparse.Namespace) -> dict[str, pd.Series]:
    """Each series cut to ``--start`` .. ``--end``."""
    start, end = parse_date(args.start, "--start"), parse_date(args.end, "--end")
    out = {}
    for name, y in data.items():
        out[name] = y.loc[start:end] if start is not None or end is not None else y
        if not len(out[name]):
            raise CommandError(f"forecast compare: no data in {name} between --start and --end")
    return out


def build_models_many(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, int | None]]:
    """The forecasters of ``--models`` for many series, and their default refit schedule.

    As for one series, except ``ar``: named ``AR(AIC)``, it selects tau by AIC (up to
    ``AR_MAX_ORDER``) when it is first fitted on each series' training part.
    """
    models: dict[str, Any] = {}
    refit: dict[str, int | None] = {}
    for key in args.models:
        if key == "naive":
            from forecast.models.naive import NaiveForecaster

            models["Drift"], refit["Drift"] = NaiveForecaster(strategy="drift"), AR_REFIT_EVERY
        elif key == "ar":
            from forecast.models.ar import ARForecaster

            models["AR(AIC)"] = ARForecaster(order="aic", max_order=AR_MAX_ORDER)
            refit["AR(AIC)"] = AR_REFIT_EVERY
        else:
            name = RNN_NAMES[key]
            models[name], refit[name] = rnn_forecaster(key, args), RNN_REFIT_EVERY
    return models, refit
