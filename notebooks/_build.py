"""Re-execute the notebooks in place, so that their committed outputs (figures included) match
the code. Run it after changing a notebook or the package, from the repository root::

    python notebooks/_build.py          # every notebook in notebooks/
    python notebooks/_build.py 02 03    # the notebooks whose names start with 02 or 03
    python notebooks/_build.py 04       # 04_uncertainty (about 45 s on 2 cores)

Each notebook runs with its default parameters (the cell tagged ``parameters``) in a kernel
on this interpreter, in a temporary working directory. Needs the test extra (nbclient,
nbformat, ipykernel). The test suite runs the same notebooks on a smaller configuration.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT = 600


def execute(path: Path) -> float:
    """Run the notebook at ``path`` and write it back with its outputs; return the seconds."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        spec_dir = Path(tmp, "kernels", "forecast")
        spec_dir.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec = {"argv": argv, "display_name": "Python 3", "language": "python"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        km = AsyncKernelManager(
            kernel_name="forecast",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]),
        )
        client = NotebookClient(
            nb, km=km, timeout=CELL_TIMEOUT, resources={"metadata": {"path": tmp}}
        )
        start = time.perf_counter()
        client.execute(cleanup_kc=True)
        seconds = time.perf_counter() - start
    # readers open the notebooks with the standard kernel
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return seconds


def main(prefixes: list[str]) -> None:
    paths = sorted(HERE.glob("*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    if not paths:
        raise SystemExit(f"no notebook in {HERE} matches {prefixes}")
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
