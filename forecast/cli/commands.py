"""The ``forecast`` command line (also ``python -m forecast``).

Commands::

    forecast datasets                       list the bundled datasets
    forecast fetch TICKER [--start --end]   download prices from Yahoo Finance into the cache
    forecast compare [...]                  AR against RNNs against the random walk

Errors are one line on stderr with exit code 2, never a traceback; warnings are one line
each (``forecast: WARNING: ...``). A failed Yahoo download says whether the network is the
cause and suggests ``--dataset`` (the bundled data works offline).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

#: model names accepted by ``--models``
MODEL_CHOICES = ("naive", "ar", "rnn", "lstm", "gru")
#: the default ``--models`` of ``forecast compare``
DEFAULT_MODELS = "naive,ar,rnn,lstm,gru"
DEFAULT_TEST_SIZE = 500
#: default refits, in origins: AR and drift every origin (incremental), RNNs every 125
AR_REFIT_EVERY = 1
RNN_REFIT_EVERY = 125
DEFAULT_EPOCHS = 20
DEFAULT_HIDDEN = 16
#: largest order tried when ``ar`` picks its order by AIC
AR_MAX_ORDER = 20

RNN_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


class CommandError(Exception):
    """A problem to report in one line, with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are exceptions, reported by :func:`main` in one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(f"{self.prog}: {message}")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def seed(text: str) -> int:
    """``--seed``: a non-negative integer."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _refit_every(text: str) -> int | None:
    if text.lower() == "never":
        return None
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'never', got {text!r}"
        ) from None


def _model_list(text: str) -> list[str]:
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in MODEL_CHOICES]
    if unknown or not names:
        bad = ", ".join(repr(n) for n in unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(
            f"unknown model {bad}; choose from {', '.join(MODEL_CHOICES)}"
        )
    return list(dict.fromkeys(names))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``forecast`` command."""
    parser = _Parser(
        prog="forecast",
        description="Does a recurrent network beat AR(tau) on stock prices? "
        "Every comparison includes the random walk.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("datasets", help="list the bundled datasets", description="List the "
                   "bundled datasets (they work offline).")

    fetch = sub.add_parser("fetch", help="download prices from Yahoo Finance",
                           description="Download one ticker's prices from Yahoo Finance "
                           "into the cache (served from the cache when offline).")
    fetch.add_argument("ticker", metavar="TICKER", help="Yahoo symbol, e.g. MSFT or ^GSPC")
    fetch.add_argument("--start", help="first day, e.g. 2015-01-01 (default: all history)")
    fetch.add_argument("--end", help="day after the last day (default: today)")
    fetch.add_argument("--interval", default="1d", help="bar size (default: 1d)")
    fetch.add_argument("--cache-dir", help="cache folder (default: the user's cache)")
    fetch.add_argument("--out", help="also write the prices to this CSV file")

    cmp = sub.add_parser(
        "compare",
        help="compare AR and RNN forecasters with the random walk",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"""\
Walk-forward comparison of the random walk, the drift, AR(tau) and NumPy RNNs.

Defaults (the README's main job; 26-35 s measured on a busy 2-core machine, limit 90 s):
the bundled S&P 500 closes; models {DEFAULT_MODELS}; the last {DEFAULT_TEST_SIZE}
trading days are forecast one day ahead from rolling origins, expanding window. Every
model is first fitted on everything before the test period. The random walk ("Random
walk": tomorrow = today) is always included. "naive" adds the drift forecast; "ar" is
AR(tau) on prices, tau chosen by AIC (up to {AR_MAX_ORDER}) on the training part only;
"rnn", "lstm", "gru" are the NumPy recurrent forecasters of log returns (hidden size
{DEFAULT_HIDDEN}, up to --epochs epochs with early stopping, random_state --seed).
Refits: the drift and AR every origin (AR re-estimates incrementally: exact and fast),
the RNNs every {RNN_REFIT_EVERY} origins (warm-started from their weights); between
refits each model only absorbs the new observation (update). --refit-every overrides
all of these.""",
    )
    source = cmp.add_mutually_exclusive_group()
    source.add_argument("--dataset", help="bundled dataset (default: sp500)")
    source.add_argument("--ticker", help="Yahoo Finance ticker (cached download)")
    source.add_argument("--csv", help="a price CSV file with a date column")
    from forecast.cli_many import add_many_arguments

    add_many_arguments(cmp, source)
    cmp.add_argument("--column", help="price column (default: close); for stocks_monthly a "
                     "symbol, default all five symbols")
    cmp.add_argument("--start", help="first date of the data used")
    cmp.add_argument("--end", help="last date of the data used (for --ticker: exclusive)")
    cmp.add_argument("--cache-dir", help="Yahoo cache folder (with --ticker)")
    cmp.add_argument("--models", type=_model_list, default=_model_list(DEFAULT_MODELS),
                     help=f"comma-separated, from {','.join(MODEL_CHOICES)} "
                     f"(default: {DEFAULT_MODELS})")
    cmp.add_argument("--horizon", type=positive_int, default=1,
                     help="steps forecast at each origin (default: 1)")
    cmp.add_argument("--window", choices=("expanding", "rolling"), default="expanding",
                     help="training window of refits (default: expanding)")
    cmp.add_argument("--train-size", type=positive_int,
                     help="length of the rolling window (default: the first training set)")
    cmp.add_argument("--test-size", type=positive_int, default=DEFAULT_TEST_SIZE,
                     help=f"number of final observations forecast (default: {DEFAULT_TEST_SIZE})")
    cmp.add_argument("--refit-every", type=_refit_every,
                     help="refit every N origins, or 'never', for every model "
                     f"(default: AR and drift {AR_REFIT_EVERY}, RNNs {RNN_REFIT_EVERY})")
    cmp.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS,
                     help=f"RNN training epochs per fit (default: {DEFAULT_EPOCHS})")
    cmp.add_argument("--seed", type=seed, default=0, help="RNN random_state (default: 0)")
    cmp.add_argument("--out", help="write CSV tables, report.md and PNG figures here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``forecast`` command; return the exit code (0 ok, 2 error)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("forecast: %(levelname)s: %(message)s"))
    package_logger = logging.getLogger("forecast")
    old_level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.WARNING)
    try:
        args = build_parser().parse_args(argv)
        if args.verbose:
            package_logger.setLevel(logging.INFO)
        if args.command is None:
            raise CommandError("forecast: choose a command: datasets, fetch or compare "
                               "(forecast COMMAND --help for more)")
        command = {"datasets": _datasets, "fetch": _fetch, "compare": _compare}[args.command]
        with warnings.catch_warnings():
            warnings.showwarning = _log_warning
            return command(args)
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    except KeyboardInterrupt:
        print("forecast: interrupted", file=sys.stderr)
        return 130
    except CommandError as err:
        _fail(str(err))
        return 2
    except (ValueError, TypeError, LookupError, OSError, ImportError, ArithmeticError) as err:
        logger.debug("error", exc_info=True)
        _fail(f"forecast: error: {err}")
        return 2
    except Exception as err:  # a bug: still one line, the traceback with --verbose
        logger.info("unexpected error", exc_info=True)
        _fail(f"forecast: unexpected error ({type(err).__name__}): {err}")
        return 2
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(old_level)


def _fail(message: str) -> None:
    print(" ".join(message.split()), file=sys.stderr)


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Show a Python warning as one log line (``forecast: WARNING: Category: message``)."""
    logger.warning("%s: %s", category.__name__, " ".join(str(message).split()))


def download_failure(err: Exception, command: str) -> CommandError:
    """A failed Yahoo download (``YahooDownloadError``) as a one-line command error.

    Names the ticker, the cause (saying so when the network is down), the cache file and
    the ``--dataset`` alternative that works offline; ``command`` is "fetch" or "compare".
    """
    from forecast.data.bundled import list_datasets

    ticker = getattr(err, "ticker", None) or "the ticker"
    reason = getattr(err, "reason", None) or str(err)
    path = getattr(err, "cache_file", None)
    problem = getattr(err, "cache_problem", None)
    if path is None:
        cache = ""
    elif problem and problem.startswith("corrupt"):
        cache = f"; the cached copy '{path}' is {problem} (delete it)"
    else:
        cache = f"; no cached copy at '{path}'"
    names = list(list_datasets())
    offline = "offline" if getattr(err, "network", False) else "without Yahoo"
    return CommandError(
        f"forecast {command}: could not download {ticker!r} from Yahoo Finance ({reason}){cache}. "
        f"To work {offline}, use a bundled dataset: forecast compare --dataset NAME with NAME "
        f"one of {', '.join(names)} (forecast datasets describes them)"
    )


def _datasets(args: argparse.Namespace) -> int:
    from forecast.data.bundled import list_datasets

    names = list_datasets()
    width = max(len(name) for name in names)
    for name, description in names.items():
        print(f"{name:<{width}}  {description}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from forecast.data.yahoo import YahooDownloadError, load_yahoo

    try:
        frame = load_yahoo(args.ticker, args.start, args.end, args.interval,
                           cache_dir=args.cache_dir)
    except YahooDownloadError as err:
        raise download_failure(err, "fetch") from err
    print(f"{args.ticker.upper()}: {len(frame)} rows, {_day(frame.index[0])} .. "
          f"{_day(frame.index[-1])}, columns {', '.join(map(str, frame.columns))}")
    if args.out:
        frame.to_csv(args.out)
        print(f"wrote {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from forecast.comparison import compare

    began = time.perf_counter()
    check_out(args.out)
    if args.tickers or args.csv_dir or (args.dataset == "stocks_monthly" and not args.column):
        from forecast.cli_many import compare_many_command

        return compare_many_command(args, began)
    if args.n_jobs != 1 or args.scheduler:
        logger.info("--n-jobs and --scheduler only act on many series")
    y, source = _load_series(args)
    if len(y) < 3:
        raise CommandError(
            f"forecast compare: {source} has {len(y)} observation(s); a comparison needs at "
            "least 3 (2 to fit on, 1 to forecast): use a longer file or a wider --start/--end"
        )
    if args.test_size > len(y) - 2:
        raise CommandError(
            f"forecast compare: --test-size {args.test_size} is too large for {source} with "
            f"{len(y)} observations; use at most {len(y) - 2}"
        )
    models, refit = _build_models(args, y.iloc[: len(y) - args.test_size])
    result = compare(
        models,
        y,
        horizon=args.horizon,
        test_size=args.test_size,
        refit_every=refit if args.refit_every is None else args.refit_every,
        window=args.window,
        train_size=args.train_size,
        progress=True,
    )
    elapsed = time.perf_counter() - began
    print(f"# {source}\n")
    print(result.to_markdown())
    if args.out:
        from forecast.cli_report import write_outputs

        written = write_outputs(result, Path(args.out), source, elapsed)
        print(f"wrote {len(written)} files to {args.out}")
    print(f"compared {len(result.models)} models on {result.settings['n_origins']} origins "
          f"in {time.perf_counter() - began:.1f} s")
    return 0


def _load_series(args: argparse.Namespace) -> tuple[pd.Series, str]:
    """The price series asked for, and a short description of where it comes from."""
    from forecast.data._frame import canonical_field

    if args.csv:
        from forecast.data.csv import load_csv

        frame, source = load_csv(args.csv), Path(args.csv).name
    elif args.ticker:
        from forecast.data.yahoo import YahooDownloadError, load_yahoo

        try:
            frame = load_yahoo(args.ticker, args.start, args.end, cache_dir=args.cache_dir)
        except YahooDownloadError as err:
            raise download_failure(err, "compare") from err
        source = f"yahoo:{args.ticker.upper()}"
    else:
        from forecast.data.bundled import DEFAULT_DATASET, load_dataset

        name = args.dataset or DEFAULT_DATASET
        frame, source = load_dataset(name), name
    column = canonical_field(args.column or "close")
    if column not in frame.columns:
        raise CommandError(
            f"forecast compare: no column {args.column or 'close'!r} in {source}; use --column "
            "with one "
            f"of {', '.join(map(str, frame.columns))}"
        )
    y = frame[column]
    if not args.ticker and (args.start or args.end):
        y = y.loc[parse_date(args.start, "--start") : parse_date(args.end, "--end")]
    if len(y) == 0:
        raise CommandError(f"forecast compare: no data in {source} between --start and --end")
    return y, f"{source} {column}, {_day(y.index[0])} .. {_day(y.index[-1])}"


def _build_models(
    args: argparse.Namespace, y_train: pd.Series
) -> tuple[dict[str, Any], dict[str, int | None]]:
    """The forecasters named by ``--models`` and their default refit schedule."""
    models: dict[str, Any] = {}
    refit: dict[str, int | None] = {}
    for key in args.models:
        if key == "naive":
            from forecast.models.naive import NaiveForecaster

            models["Drift"], refit["Drift"] = NaiveForecaster(strategy="drift"), AR_REFIT_EVERY
        elif key == "ar":
            from forecast.models.ar import ARForecaster

            selector = ARForecaster(order="aic", max_order=AR_MAX_ORDER).fit(y_train)
            name = f"AR({selector.order_})"
            logger.info("AIC selected tau=%d on the training part", selector.order_)
            models[name], refit[name] = ARForecaster(order=selector.order_), AR_REFIT_EVERY
        else:
            name = RNN_NAMES[key]
            models[name], refit[name] = rnn_forecaster(key, args), RNN_REFIT_EVERY
    return models, refit


def rnn_forecaster(cell: str, args: argparse.Namespace) -> Any:
    """The RNNForecaster of ``--models`` entry ``cell`` with ``--epochs`` and ``--seed``."""
    try:
        from forecast.models.rnn_forecaster import RNNForecaster
    except ImportError as err:
        raise CommandError(
            f"forecast compare: model {cell!r} needs RNNForecaster, which is not available "
            f"({err}); use --models naive,ar"
        ) from None
    return RNNForecaster(
        cell=cell, hidden_size=DEFAULT_HIDDEN, epochs=args.epochs, random_state=args.seed
    )


def parse_date(text: str | None, flag: str) -> pd.Timestamp | None:
    """``--start``/``--end`` as a tz-naive Timestamp (a CommandError naming the flag if not)."""
    if text is None:
        return None
    try:
        ts = pd.Timestamp(text)
    except (ValueError, OverflowError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise CommandError(f"forecast compare: {flag} must be a date such as 2015-01-31, "
                           f"got {text!r}")
    if ts.tz is not None:
        raise CommandError(f"forecast compare: {flag} must be a date without a time zone "
                           f"(the data's dates have none), got {text!r}")
    return ts


def check_out(out: str | None) -> None:
    """Refuse an ``--out`` that exists and is not a folder, before any work is done."""
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise CommandError(f"forecast compare: --out {out!r} is a file; name a folder "
                           "(it is created if missing)")


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else str(value)
