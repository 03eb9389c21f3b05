"""Speed of one training epoch of the NumPy and numba engines, and of PyTorch on the same shapes.

One epoch = 4,096 windows of 60 steps with 1 input, in batches of 64 (64 updates): forward,
backward (many-to-one: MSE on the last step) and an Adam update, float32, hidden size 64,
one layer plus a linear head. Timed for RNN (tanh), LSTM and GRU with
``forecast.nn.bptt_step``. When torch is importable, the same epoch with ``torch.nn.RNN``/
``LSTM``/``GRU`` + ``nn.Linear`` + ``torch.optim.Adam`` (``torch.set_num_threads`` = number of
cores) is timed too and the ratio numpy / torch printed (below 1: NumPy is faster).

Each engine (``--engines``, default: numpy, and numba when installed; see
``forecast.nn.engine``) is timed over ``--repeats`` epochs after one warm-up epoch, the
engines and torch alternating so that all see the same machine load; each row gives the
range (best - worst) of the epoch times, the best epoch's ratio to torch's best, the ratio of
the "batch floors" (64 x the 10th percentile of the per-batch times, which a busy machine
disturbs less), and the fraction of the machine's matmul peak the best epoch reaches: the
epoch's nominal product flops, 3 products of 2 G H (H + D) flops per step and sequence
(forward, backward to the inputs, weight gradient; G = 1, 4, 3 gates), over the time, over
the peak, measured first as the best float32 GEMM rate (2048 x 2048, all cores). The load
average is printed before and after every cell. The data are standard normal noise (the
speed does not depend on the values). Run from the repository root::

    python benchmarks/bench_rnn.py [--repeats 5] [--cells rnn lstm gru] [--engines numpy numba]
                                   [--torch-generic] [--compile]

``--compile`` times the numba engine's first training step in fresh processes instead: cold
(an empty on-disk cache, ``NUMBA_CACHE_DIR`` set to a new directory: everything compiles)
and cached (the same directory again: the compiled code is loaded), float32, per cell.

torch's CPU LSTM runs oneDNN's fused LSTM kernels by default (about twice as fast as its
generic path here); ``--torch-generic`` adds a column with oneDNN switched off.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from forecast.nn import Adam, RecurrentNetwork, bptt_step
from forecast.nn.engine import numba_available

T, BATCH, HIDDEN, N_WINDOWS = 60, 64, 64, 4096


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def matmul_peak(repeats: int = 5, n: int = 2048) -> float:
    """The best float32 GEMM rate of NumPy's BLAS on all cores, in flop/s."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    a @ b  # warm-up
    best = min(timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def epoch_flops(cell: str) -> float:
    """Nominal product flops of one epoch: forward, backward to the inputs, weight gradient."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    return N_WINDOWS * T * 3 * 2 * gates * HIDDEN * (HIDDEN + 1)


def numpy_epoch(cell: str, x: np.ndarray, y: np.ndarray, engine: str = "numpy"):
    """Return a function running one epoch of ``forecast.nn`` on ``engine``; it returns each
    batch's time."""
    net = RecurrentNetwork(cell, input_size=1, hidden_size=HIDDEN, rng=0, engine=engine)
    optimizer = Adam(lr=1e-3)

    def epoch() -> list[float]:
        times = []
        for s in range(0, N_WINDOWS, BATCH):
            start = time.perf_counter()
            bptt_step(net, x[:, s : s + BATCH], y[s : s + BATCH], optimizer=optimizer)
            times.append(time.perf_counter() - start)
        return times

    return epoch


def torch_epoch(cell: str, x: np.ndarray, y: np.ndarray, onednn: bool = True):
    """Return a function running one epoch of the same model in PyTorch.

    ``onednn=False`` switches off ``torch.backends.mkldnn``: torch's CPU LSTM then runs its
    generic path instead of oneDNN's fused LSTM kernels (RNN and GRU are not affected).
    """
    import torch

    torch.manual_seed(0)
    rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](1, HIDDEN)
    head = torch.nn.Linear(HIDDEN, 1)
    optimizer = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch() -> list[float]:
        times = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a note about Intel GPUs from mkldnn.flags
            with torch.backends.mkldnn.flags(enabled=onednn):
                for s in range(0, N_WINDOWS, BATCH):
                    start = time.perf_counter()
                    out, _ = rnn(xt[:, s : s + BATCH])
                    loss = torch.nn.functional.mse_loss(head(out[-1]), yt[s : s + BATCH])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    loss.item()
                    times.append(time.perf_counter() - start)
        return times

    return epoch


FIRST_STEP = """
import time
import numpy as np
start = time.perf_counter()
from forecast.nn import RecurrentNetwork, bptt
net = RecurrentNetwork({cell!r}, 1, 8, engine="numba", rng=0)
bptt(net, np.zeros((5, 32, 1), np.float32), np.zeros((32, 1), np.float32))
print(time.perf_counter() - start)
"""


def compile_times(cells: list[str]) -> None:
    """Print the first training step's time in fresh processes, cold and from the cache."""
    print(f"{'cell':<6}{'cold s':>9}{'cached s':>10}   (first bptt step, new process, float32)")
    for cell in cells:
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            code = FIRST_STEP.format(cell=cell)
            cold, cached = (
                float(subprocess.check_output([sys.executable, "-c", code], env=env, text=True))
                for _ in range(2)
            )
        print(f"{cell:<6}{cold:>9.2f}{cached:>10.2f}   load {load()}")


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cells", nargs="+", default=["rnn", "lstm", "gru"])
    engines = ["numpy", "numba"] if numba_available() else ["numpy"]
    parser.add_argument("--engines", nargs="+", default=engines, choices=["numpy", "numba"])
    parser.add_argument(
        "--torch-generic",
        action="store_true",
        help="also time torch with oneDNN off (its generic LSTM path)",
    )
    parser.add_argument(
        "--cores",
        type=int,
        default=None,
        help="run on this many cores only (CPU affinity; torch threads and numba blocks follow)",
    )
    parser.add_argument(
        "--compile", action="store_true", help="time the numba engine's compilation instead"
    )
    args = parser.parse_args()
    if args.compile:
        compile_times(args.cells)
        return
    if args.cores is not None:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])

    try:
        import torch
    except ImportError:
        torch = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    system = f"{platform.system()} {platform.machine()}"
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {system}")
    print(f"running on {cores} of them")
    print(f"python {platform.python_version()}, numpy {np.__version__}", end="")
    if "numba" in args.engines:
        import numba

        print(f", numba {numba.__version__}", end="")
    if torch is not None:
        torch.set_num_threads(cores)
        print(f", torch {torch.__version__} (torch.set_num_threads({cores}))")
    else:
        print(", torch not installed: forecast engines only")
    print(
        f"one epoch: {N_WINDOWS} windows x {T} steps x 1 input, batch {BATCH}, hidden {HIDDEN}, "
        f"float32, many-to-one MSE, Adam; {args.repeats} epochs after a warm-up"
    )
    print(f"load average before the peak: {load()}")
    peak = matmul_peak()
    print(f"matmul peak (float32 GEMM 2048^3, {cores} core(s)): {peak / 1e9:.1f} GFLOP/s")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N_WINDOWS, 1)).astype(np.float32)  # time-major (T, B, D)
    y = rng.standard_normal((N_WINDOWS, 1)).astype(np.float32)

    header = f"{'cell':<6}{'engine':<9}{'s/epoch (range)':>18}{'% peak':>8}"
    if torch is not None:
        header += f"{'/ torch':>9}{'(batch floor)':>15}"
    print(header)
    n_batches = N_WINDOWS // BATCH
    for cell in args.cells:
        print(f"load average before {cell}: {load()}")
        runs = {engine: numpy_epoch(cell, x, y, engine) for engine in args.engines}
        if torch is not None:
            runs["torch"] = torch_epoch(cell, x, y)
            if args.torch_generic:
                runs["torch-generic"] = torch_epoch(cell, x, y, onednn=False)
        for epoch in runs.values():
            epoch()  # warm-up (and, for numba, compilation or loading it from the disk cache)
        batches: dict[str, list[list[float]]] = {name: [] for name in runs}
        for _ in range(args.repeats):  # alternate so that all see the same load
            for name, epoch in runs.items():
                batches[name].append(epoch())
        times = {name: [sum(e) for e in epochs] for name, epochs in batches.items()}
        # n_batches x the 10th percentile of all batch times: robust to a busy machine
        floor = {
            name: n_batches * float(np.percentile(np.concatenate(epochs), 10))
            for name, epochs in batches.items()
        }
        for name in runs:
            best = min(times[name])
            span = f"{best:.3f}-{max(times[name]):.3f}"
            line = f"{cell:<6}{name:<9}{span:>18}{100 * epoch_flops(cell) / best / peak:>7.1f}%"
            if torch is not None:
                line += f"{best / min(times['torch']):>9.2f}{floor[name] / floor['torch']:>15.2f}"
            print(line)
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
