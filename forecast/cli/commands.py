"""``main`` of the ``forecast`` command and its three commands: datasets, fetch, compare
(``compare --direction``: up/down probabilities against the base rate).

:func:`main` parses with :func:`forecast.cli.parser.build_parser`, runs the command, and
turns every error into one stderr line with exit code 2 (warnings into one log line each).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

from forecast.cli.models import build_direction_models, build_models
from forecast.cli.output import check_out, report_direction, report_result
from forecast.cli.parser import CommandError, build_parser
from forecast.cli.sources import download, format_day, load_prices, long_enough, wants_many

logger = logging.getLogger(__name__)


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
            raise CommandError("choose a command: datasets, fetch or compare "
                               "(forecast COMMAND --help for more)")
        command = {"datasets": run_datasets, "fetch": run_fetch, "compare": run_compare}
        with warnings.catch_warnings():
            warnings.showwarning = _log_warning
            return command[args.command](args)
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    except KeyboardInterrupt:
        print("forecast: interrupted", file=sys.stderr)
        return 130
    except CommandError as err:
        _fail(f"forecast: error: {err}")
        return 2
    except (ValueError, TypeError, LookupError, OSError, ImportError, ArithmeticError) as err:
        logger.debug("error", exc_info=True)
        _fail(f"forecast: error: {err}")
        return 2
    except Exception as err:  # a bug: still one line, the traceback with --verbose
        logger.info("unexpected error", exc_info=True)
        _fail(f"forecast: error: unexpected error ({type(err).__name__}): {err}")
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


def run_datasets(args: argparse.Namespace) -> int:
    """``forecast datasets``: one line per bundled dataset."""
    from forecast import list_datasets

    names = list_datasets()
    width = max(len(name) for name in names)
    for name, description in names.items():
        print(f"{name:<{width}}  {description}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """``forecast fetch TICKER``: download into the cache, say what came, maybe ``--out``."""
    frame = download(args.ticker, args.start, args.end, args.cache_dir, args.interval)
    print(f"{args.ticker.upper()}: {len(frame)} rows, {format_day(frame.index[0])} .. "
          f"{format_day(frame.index[-1])}, columns {', '.join(map(str, frame.columns))}")
    if args.out:
        frame.to_csv(args.out)
        print(f"wrote {args.out}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """``forecast compare``: one series or many, through :func:`forecast.compare`."""
    import forecast

    began = time.perf_counter()
    check_out(args.out)
    if args.direction is not None:
        return run_direction(args, began)
    many = wants_many(args)
    if not many and (args.n_jobs != 1 or args.scheduler):
        logger.info("--n-jobs and --scheduler only act on many series")
    series, source = load_prices(args)
    if args.csv_dir:
        series = long_enough(series, args.test_size, args.csv_dir)
    if many:
        data: Any = series
        y_train, options = None, {"progress": args.n_jobs == 1 and not args.scheduler,
                                  "n_jobs": args.n_jobs, "scheduler": args.scheduler}
    else:
        (data,) = series.values()
        _check_length(data, source, args.test_size)
        y_train, options = data.iloc[: len(data) - args.test_size], {"progress": True}
    models, refit = build_models(args, y_train)
    result = forecast.compare(
        models,
        data,
        horizon=args.horizon,
        test_size=args.test_size,
        refit_every=refit if args.refit_every is None else args.refit_every,
        window=args.window,
        train_size=args.train_size,
        coverage=args.coverage,
        **options,
    )
    if many:
        counted = f"{len(models) + 1} models on {len(result.results)} series"
    else:
        counted = f"{len(result.models)} models on {result.settings['n_origins']} origins"
    report_result(result, source, args.out, began, counted=counted)
    return 0


def run_direction(args: argparse.Namespace, began: float) -> int:
    """``forecast compare --direction``: P(up) forecasts of one series against the base rate."""
    import forecast

    if wants_many(args) or args.horizon != 1:
        raise CommandError("forecast compare: --direction scores one series one day ahead; "
                           "drop --horizon and pass one --dataset, --csv or --ticker")
    series, source = load_prices(args)
    (data,) = series.values()
    _check_length(data, source, args.test_size)
    models, refit = build_direction_models(args)
    result = forecast.compare_direction(
        models, data, test_size=args.test_size, window=args.window, train_size=args.train_size,
        refit_every=refit if args.refit_every is None else args.refit_every, progress=True,
    )
    report_direction(result, source, args.out, began)
    return 0


def _check_length(y: Any, source: str, test_size: int) -> None:
    """Refuse one series too short to compare, or a ``--test-size`` that leaves too little."""
    if len(y) < 3:
        raise CommandError(
            f"{source} has {len(y)} observation(s); a comparison needs at "
            "least 3 (2 to fit on, 1 to forecast): use a longer file or a wider --start/--end"
        )
    if test_size > len(y) - 2:
        raise CommandError(
            f"--test-size {test_size} is too large for {source} with "
            f"{len(y)} observations; use at most {len(y) - 2}"
        )
