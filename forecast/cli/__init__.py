"""The ``forecast`` command line (also ``python -m forecast``).

Commands::

    forecast datasets                       list the bundled datasets
    forecast fetch TICKER [--start --end]   download prices from Yahoo Finance into the cache
    forecast compare [...]                  AR against RNNs against the random walk
    forecast compare --direction [MODELS]   P(up) of logistic AR and RNNs against the base rate

Errors are one line on stderr starting ``forecast: error:``, exit code 2, never a
traceback; warnings are one line each (``forecast: WARNING: ...``; ``--csv-dir`` names each
file it skips so). A failed Yahoo download says whether the network is the
cause and suggests ``--dataset`` (the bundled data works offline).

The package is the top layer: it uses the public API (:func:`forecast.compare`, the
forecasters, the loaders) and nothing in ``forecast`` imports it. Its modules, each
importing only those above it::

    parser      the one parser: every argument, its type and default; CommandError
    sources     one loader for every source (--dataset, --csv, --ticker, --tickers, --csv-dir)
    models      the forecasters of --models and their refit schedule
    output      the printed tables and the --out files (CSV, report.md, PNG figures)
    commands    main() and the datasets, fetch and compare commands
"""

from forecast.cli.commands import main

__all__ = ["main"]
