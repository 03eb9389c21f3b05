"""The notebooks in ``notebooks/`` run end to end, so the documentation cannot rot.

Each notebook has one cell tagged ``parameters`` (papermill's convention). The test inserts
a cell right after it that overrides those knobs with a small configuration (as papermill's
``injected-parameters`` cell does), runs the whole notebook with nbclient in a kernel on this
very interpreter, and checks that no cell failed, that the figures were drawn inline and
that the conclusion was printed. A fast test checks that the committed notebooks carry
their outputs (figures included) and that the small configurations only name real knobs.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"

#: notebook -> (small configuration for CI, lines the conclusion must print, least figures)
NOTEBOOKS = {
    "01_ar_vs_rnn_sp500.ipynb": (
        {"TEST_SIZE": 60, "MAX_TAU": 5, "HIDDEN": 4, "EPOCHS": 2, "REFIT_EVERY": 30},
        ["* Price R^2 is", "* LSTM: return-scale skill", "* Network against AR:", "Answer:"],
        5,
    ),
    "02_bptt_and_vanishing_gradients.ipynb": (
        {"T_STEPS": 40, "HIDDEN": 8, "CLIP_EPOCHS": 1, "DELAY": 6, "TBPTT_EPOCHS": 2},
        ["* Vanishing:", "* Exploding:", "* TBPTT on a 6-step dependency:", "* Full BPTT made"],
        4,
    ),
    "03_windowing_and_leakage.ipynb": (
        {"MAX_TAU": 6, "N_SPLITS": 3, "RNN_HIDDEN": 4, "RNN_EPOCHS": 2, "LEAK_WINDOW": 30,
         "LEAK_HORIZON": 10, "N_NEIGHBORS": 5},
        ["* Order selection: AIC picks tau =", "* Scaling before the split:",
         "* Windows that cross the split:"],
        5,
    ),
    "04_uncertainty.ipynb": (
        {"TEST_SIZE": 30, "HISTORY": 160, "MAX_TAU": 2, "HIDDEN": 4, "EPOCHS": 1,
         "REFIT_EVERY": 30, "WINDOW": 20, "ROLLING": 10},
        ["* S&P 500, 30 one-day-ahead 90% bands: coverage", "* MSFT, 30 one-day-ahead",
         "- ACI within 2 points of 90%:", "- likelihood RNNs within 5 points",
         "- lowest interval score", "Answer: a 90% band for tomorrow's close that keeps its word"],
        4,
    ),
    "05_character_rnn.ipynb": (
        {"HELLO_STEPS": 60, "ZEN_HIDDEN": 16, "ZEN_EPOCHS": 3, "SAMPLE_LENGTH": 40,
         "CLF_HIDDEN": 8, "CLF_EPOCHS": 2},
        ["* hello: the vanilla RNN predicts", "* Zen of Python: perplexity per character",
         "* Sampling (one-to-many):", "* Many-to-one: RNNClassifier"],
        2,
    ),
    "06_direction_sp500.ipynb": (
        {"TEST_SIZE": 40, "HISTORY": 300, "TAUS": [3], "LOGISTIC_REFIT_EVERY": 20, "WINDOW": 10,
         "HIDDEN": 4, "EPOCHS": 2, "REFIT_EVERY": 40, "N_BINS": 3},
        ["* Brier skill against the base rate", "- GRU classifier:", "* Hit rates (binomial p",
         "* Best Brier skill:", "Answer: can logistic AR or a recurrent classifier tell"],
        1,
    ),
}
CELL_TIMEOUT = 300  # seconds per cell; the small configurations take a few seconds each


def read(name: str):
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def parameters_cell(nb) -> int:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged 'parameters', found {len(tagged)}"
    return tagged[0]


def knobs(source: str) -> set[str]:
    """Names assigned at the top level of the parameters cell."""
    tree = ast.parse(source)
    return {t.id for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def kernel_manager(tmp_path: Path):
    """A kernel manager whose kernel runs on sys.executable, whatever kernelspecs exist."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec_dir = tmp_path / "kernels" / "forecast-tests"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "forecast tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return AsyncKernelManager(kernel_name="forecast-tests", kernel_spec_manager=specs)


def outputs(nb, kind: str) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.output_type == kind]


def printed(nb) -> str:
    return "".join(o.text for o in outputs(nb, "stream") if o.name == "stdout")


def images(nb) -> int:
    return sum("image/png" in o.data for k in ("display_data", "execute_result")
               for o in outputs(nb, k))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_with_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    small, _, min_figures = NOTEBOOKS[name]
    index = parameters_cell(nb)
    unknown = set(small) - knobs(nb.cells[index].source)
    assert not unknown, f"the CI configuration sets {unknown}, which the notebook does not define"
    assert nb.cells[0].cell_type == "markdown"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run every cell before committing"
    assert not outputs(nb, "error")
    assert images(nb) >= min_figures


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, tmp_path):
    nb = read(name)
    small, conclusion, min_figures = NOTEBOOKS[name]
    index = parameters_cell(nb)
    injected = nbformat.v4.new_code_cell(
        "\n".join(f"{key} = {value!r}" for key, value in small.items()),
        metadata={"tags": ["injected-parameters"]},
    )
    nb.cells.insert(index + 1, injected)

    client = nbclient.NotebookClient(
        nb,
        km=kernel_manager(tmp_path),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    # a failing cell raises CellExecutionError with its traceback; cleanup_kc=True shuts the
    # kernel and its channels down (the kernel manager is ours, so nbclient would keep them)
    client.execute(cleanup_kc=True)

    assert not outputs(nb, "error")
    assert images(nb) >= min_figures
    text = printed(nb)
    for line in conclusion:
        assert line in text, f"{name} did not print {line!r}"
