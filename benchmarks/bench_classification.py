"""The classification heads' numbers (issue 15), over several seeds, with the machine load.

* "hello": updates and seconds until a vanilla RNN (8 units, softmax head, cross-entropy,
  Adam lr 0.05) predicts e, l, l, o from h, e, l, l (notebook 05, part 1);
* the Zen of Python: epochs and seconds until the next-character perplexity of an LSTM(64)
  trained by truncated BPTT(20, 20) over 8 streams falls below 5, within 30 epochs
  (notebook 05, part 2);
* RNNClassifier on the 50-step memory task (the sign of the sum of two marked values):
  held-out accuracy and fit time with an LSTM and a GRU (tests/test_rnn_classifier.py's
  configuration; the test uses seed 0).

Run from the repository root::

    python benchmarks/bench_classification.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import os
import time

import numpy as np

from forecast import RNNClassifier
from forecast.nn import Adam, RecurrentNetwork, bptt_step, cross_entropy, train_tbptt


def hello(seed: int) -> tuple[int, float]:
    """(updates, seconds) until h, e, l, l -> e, l, l, o."""
    letters = sorted(set("hello"))
    eye = np.eye(len(letters))
    x = eye[[letters.index(c) for c in "hell"]][:, None, :]
    y = np.array([letters.index(c) for c in "ello"], dtype=float)[:, None, None]
    net = RecurrentNetwork("rnn", 4, 8, output_size=4, dtype=np.float64, rng=seed)
    optimizer, start = Adam(lr=0.05), time.perf_counter()
    for step in range(1, 1001):
        bptt_step(net, x, y, optimizer=optimizer, loss="cross_entropy")
        if (net.forward(x)[0][:, 0].argmax(axis=1) == y[:, 0, 0]).all():
            return step, time.perf_counter() - start
    return -1, time.perf_counter() - start


def zen(seed: int, epochs: int = 30) -> tuple[int, float, float]:
    """(epoch, seconds) at which the perplexity falls below 5, and the last perplexity."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the Zen
        import this
    text = codecs.decode(this.s, "rot13")
    vocab = sorted(set(text))
    codes = np.array([vocab.index(c) for c in text])
    V, B, k = len(vocab), 8, 20
    eye = np.eye(V, dtype=np.float32)
    L = (len(codes) - 1) // B
    xs = eye[codes[: B * L]].reshape(B, L, V).transpose(1, 0, 2)
    ys = codes[1 : B * L + 1].reshape(B, L).T[:, :, None].astype(np.float32)
    x_all, y_all = eye[codes[:-1]][:, None, :], codes[1:][:, None, None]
    net = RecurrentNetwork("lstm", V, 64, output_size=V, rng=seed)
    optimizer, start, below = Adam(lr=0.02), time.perf_counter(), (-1, np.nan)
    for epoch in range(1, epochs + 1):
        train_tbptt(net, xs, ys, k1=k, k2=k, optimizer=optimizer, loss="cross_entropy",
                    clip_norm=5.0)
        perplexity = float(np.exp(cross_entropy(net.forward(x_all)[0], y_all)[0]))
        if perplexity < 5 and below[0] < 0:
            below = (epoch, time.perf_counter() - start)
    return below[0], below[1], perplexity


def memory_task(n: int, seed: int, length: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.0, 1.0, (n, length))
    marks = np.zeros((n, length))
    for i in range(n):
        marks[i, rng.choice(length, 2, replace=False)] = 1.0
    return np.stack([values, marks], axis=-1), ((values * marks).sum(axis=1) > 0).astype(int)


def memory(cell: str, seed: int) -> tuple[float, float]:
    """(held-out accuracy, fit seconds) of the test's configuration with random_state=seed."""
    X, y = memory_task(2000, seed=2 * seed)
    X_test, y_test = memory_task(1000, seed=2 * seed + 1)
    start = time.perf_counter()
    model = RNNClassifier(
        cell, hidden_size=16, epochs=12, lr=0.02, batch_size=64, patience=None, random_state=seed
    ).fit(X, y)
    seconds = time.perf_counter() - start
    return float(np.mean(model.predict(X_test) == y_test)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    seeds = range(parser.parse_args().seeds)
    print(f"load average before: {os.getloadavg()}")
    runs = [hello(s) for s in seeds]
    print("hello, updates to 100%:", [r[0] for r in runs],
          "seconds:", [f"{r[1]:.3f}" for r in runs])
    runs = [zen(s) for s in seeds]
    print("Zen, epoch perplexity < 5:", [r[0] for r in runs],
          "seconds:", [f"{r[1]:.1f}" for r in runs],
          "perplexity after 30 epochs:", [f"{r[2]:.2f}" for r in runs])
    for cell in ("lstm", "gru"):
        runs = [memory(cell, s) for s in seeds]
        print(f"memory task, {cell}: held-out accuracy", [f"{r[0]:.3f}" for r in runs],
              "fit seconds:", [f"{r[1]:.1f}" for r in runs])
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
