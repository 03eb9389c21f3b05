"""Which implementation runs the recurrent layers: the NumPy reference or compiled kernels.

``engine="numpy"`` runs ``forecast.nn.rnn``/``lstm``/``gru``, the readable reference.
``engine="numba"`` runs ``forecast.nn.kernels.rnn``/``lstm``/``gru``: the same equations and
interface, each layer's time loop compiled with numba (``pip install "forecast[fast]"``), the
gate math fused into one pass per step, the batch split over the cores on threads without
the GIL, the products through BLAS. ``engine="auto"`` (the default) takes the environment
variable ``FORECAST_ENGINE`` when it is set (``numpy``, ``numba`` or ``auto``) and otherwise
numba when it can be imported, NumPy when not.

The two engines agree to rounding (float64 to 1e-12, float32 to 1e-5 relative: their sums run
in different orders); each is bitwise reproducible on its own (the numba engine on a given
machine, since the batch is split by the number of cores). Compiled code is cached on disk,
so only the first call on a machine pays the compilation.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from forecast._validation import check_choice

ENGINES = ("auto", "numpy", "numba")
#: the environment variable that sets what ``engine="auto"`` means
ENV_VAR = "FORECAST_ENGINE"


def numba_available() -> bool:
    """Whether numba imports (with the NumPy installed)."""
    try:
        importlib.import_module("numba")
    except ImportError:
        return False
    return True


def resolve_engine(engine: str = "auto") -> str:
    """``"numpy"`` or ``"numba"``: the engine that ``engine`` selects (see the module docstring).

    Raises
    ------
    ValueError
        for an unknown ``engine`` or ``FORECAST_ENGINE`` value.
    ImportError
        for ``"numba"`` (asked for or from ``FORECAST_ENGINE``) when numba is not installed.
    """
    engine = check_choice(engine, "engine", ENGINES)
    if engine == "auto" and os.environ.get(ENV_VAR):
        value = os.environ[ENV_VAR]
        if value not in ENGINES:
            raise ValueError(
                f"the environment variable {ENV_VAR}={value!r} must be one of {ENGINES}; "
                f"unset it or set a valid engine"
            )
        engine = value
    if engine == "auto":
        return "numba" if numba_available() else "numpy"
    if engine == "numba" and not numba_available():
        raise ImportError(
            'engine="numba" needs numba: pip install "forecast[fast]" (or pip install numba), '
            'or use engine="numpy"'
        )
    return engine


def cell_module(cell: str, engine: str) -> ModuleType:
    """The module with ``forward``/``backward`` of ``cell`` under a resolved ``engine``."""
    package = "forecast.nn" if engine == "numpy" else "forecast.nn.kernels"
    return importlib.import_module(f"{package}.{cell}")
