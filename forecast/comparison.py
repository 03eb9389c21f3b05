"""Old home of :func:`forecast.compare`, kept for one release: import from ``forecast``."""

from forecast.api import compare
from forecast.evaluation.compare import REFERENCE
from forecast.evaluation.results import CompareResult, MultiCompareResult

__all__ = ["REFERENCE", "CompareResult", "MultiCompareResult", "compare"]
