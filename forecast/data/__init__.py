"""Loading price data: the bundled real datasets, users' CSV files and Yahoo Finance."""
