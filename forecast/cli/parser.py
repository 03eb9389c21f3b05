"""What the ``forecast`` command accepts: its one parser, the argument types and defaults.

Every argument of every command is declared here, once; a bad argument is a
:class:`CommandError` that :func:`forecast.cli.main` reports in one line.
"""

from __future__ import annotations

import argparse

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
#: the default ``--coverage``: every model with intervals is scored at 90 %
DEFAULT_COVERAGE = 0.9
#: largest order tried when ``ar`` picks its order by AIC
AR_MAX_ORDER = 20
#: ``--direction`` without a list: logistic AR and an RNN classifier of P(up)
DIRECTION_MODELS = "ar,rnn"
#: past log returns read by each classifier of ``--direction``
DIRECTION_WINDOW = 20
#: refits of the logistic AR of ``--direction``, in origins (the RNNs: RNN_REFIT_EVERY)
LOGISTIC_REFIT_EVERY = 20


class CommandError(Exception):
    """A problem to report in one line, with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are exceptions, reported by ``main`` in one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(f"{message} (see {self.prog} --help)")


def positive_int(text: str) -> int:
    """``--horizon``, ``--test-size``, ...: an integer >= 1."""
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


def refit_every(text: str) -> int | None:
    """``--refit-every``: a positive integer, or ``never`` (None)."""
    if text.lower() == "never":
        return None
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'never', got {text!r}"
        ) from None


def n_jobs(text: str) -> int:
    """``--n-jobs``: a positive integer, or -1 for all cores."""
    if text.strip() == "-1":
        return -1
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or -1 (all cores), got {text!r}"
        ) from None


def coverage(text: str) -> float | None:
    """``--coverage``: a nominal coverage strictly between 0 and 1, or ``none`` (None: no
    intervals)."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:  # NaN too
        raise argparse.ArgumentTypeError(
            f"expected a coverage strictly between 0 and 1 (e.g. 0.9) or 'none' to score no "
            f"intervals, got {text!r}"
        )
    return value


def model_list(text: str) -> list[str]:
    """``--models``: comma-separated names from :data:`MODEL_CHOICES`, duplicates dropped."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in MODEL_CHOICES]
    if unknown or not names:
        bad = ", ".join(repr(n) for n in unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(
            f"unknown model {bad}; choose from {', '.join(MODEL_CHOICES)}"
        )
    return list(dict.fromkeys(names))


def ticker_list(text: str) -> list[str]:
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


COMPARE_DESCRIPTION = f"""\
Walk-forward comparison of the random walk, the drift, AR(tau) and NumPy RNNs.

Defaults (the README's main job, whose run time the README reports; budget 90 s):
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
all of these. Every model's 90% prediction intervals (--coverage) are scored too:
coverage, width, interval score, Kupiec and Christoffersen tests, CRPS for the Gaussian
ones; a coverage off nominal (Kupiec p < 0.05) is flagged. --coverage none skips them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``forecast`` command, with its three subcommands."""
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
        description=COMPARE_DESCRIPTION,
    )
    source = cmp.add_mutually_exclusive_group()
    source.add_argument("--dataset", help="bundled dataset (default: sp500)")
    source.add_argument("--ticker", help="Yahoo Finance ticker (cached download)")
    source.add_argument("--csv", help="a price CSV file with a date column")
    source.add_argument("--tickers", type=ticker_list,
                        help="many Yahoo tickers, comma-separated (e.g. AAPL,MSFT,IBM)")
    source.add_argument("--csv-dir", help="a folder of price CSV files, one series per file")
    cmp.add_argument("--n-jobs", type=n_jobs, default=1,
                     help="many series: backtests run in parallel (-1: all cores; default 1)")
    cmp.add_argument("--scheduler", metavar="ADDRESS",
                     help="many series: run on this Dask cluster, e.g. tcp://host:8786 "
                     "(needs pip install forecast[dask])")
    cmp.add_argument("--column", help="price column (default: close, or the only column of "
                     "a one-column file); for stocks_monthly a symbol, default all five symbols")
    cmp.add_argument("--date-column", metavar="NAME_OR_POSITION",
                     help="--csv/--csv-dir: the date column, by name or 0-based position "
                     "(default: date, datetime, timestamp or time in any case, else an "
                     "unnamed first column as pandas' to_csv writes it)")
    cmp.add_argument("--date-format", metavar="FORMAT",
                     help="--csv/--csv-dir: strftime format of the dates, e.g. %%d/%%m/%%Y, or "
                     "ISO8601 (default: inferred from the first date)")
    cmp.add_argument("--encoding", help="--csv/--csv-dir: text encoding of the files, e.g. "
                     "latin-1 or cp1252 (default: UTF-8, with or without a byte-order mark)")
    cmp.add_argument("--missing", choices=("error", "drop", "ffill"), default="error",
                     help="--csv/--csv-dir: missing values (empty cells, '.', 'NA', ...): "
                     "stop with an error naming them, drop their rows, or carry the last "
                     "value forward (default: error)")
    cmp.add_argument("--calendar", metavar="EXCHANGE",
                     help="date forecasts on this exchange's sessions, e.g. XNYS (needs pip "
                     "install forecast[calendars]; default: XNYS for the bundled sp500 and "
                     "msft when it is installed, else business days Mon-Fri, holidays "
                     "included); daily data only")
    cmp.add_argument("--start", help="first date of the data used")
    cmp.add_argument("--end", help="last date of the data used (for --ticker: exclusive)")
    cmp.add_argument("--cache-dir", help="Yahoo cache folder (with --ticker)")
    cmp.add_argument("--models", type=model_list, default=model_list(DEFAULT_MODELS),
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
    cmp.add_argument("--refit-every", type=refit_every,
                     help="refit every N origins, or 'never', for every model "
                     f"(default: AR and drift {AR_REFIT_EVERY}, RNNs {RNN_REFIT_EVERY})")
    cmp.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS,
                     help=f"RNN training epochs per fit (default: {DEFAULT_EPOCHS})")
    cmp.add_argument("--seed", type=seed, default=0, help="RNN random_state (default: 0)")
    cmp.add_argument("--coverage", type=coverage, default=DEFAULT_COVERAGE,
                     help="nominal coverage of the prediction intervals scored for every "
                     "model that has them (coverage, width, interval score, Kupiec and "
                     "Christoffersen tests, CRPS; intervals.csv with --out); 'none' scores "
                     f"no intervals (default: {DEFAULT_COVERAGE})")
    cmp.add_argument("--direction", nargs="?", type=model_list, const=model_list(DIRECTION_MODELS),
                     metavar="MODELS", help="score P(up) forecasts against the base rate "
                     f"instead of prices: 'ar' is the logistic AR({DIRECTION_WINDOW}), "
                     f"'rnn', 'lstm', 'gru' RNN classifiers on {DIRECTION_WINDOW} log returns "
                     f"(default: {DIRECTION_MODELS}; one series, horizon 1; Brier skill, DM, "
                     "log loss, hit rate, reliability.png with --out)")
    cmp.add_argument("--out", help="write CSV tables, report.md and PNG figures here")
    return parser
