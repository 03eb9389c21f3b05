"""RNNClassifier: scikit-learn's estimator checks, a task that needs memory, honest log loss.

References: scikit-learn's ``parametrize_with_checks`` and ``log_loss``, SciPy's ``expit`` and
``softmax`` for the probabilities, and a synthetic task whose answer is known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

import forecast
from forecast.models.rnn.classifier import RNNClassifier
from forecast.splits import WalkForwardSplit

#: float64, because in float32 the BLAS kernels round a window's output differently (about
#: 1e-6 relative) depending on the other windows in its batch, and
#: check_methods_sample_order_invariance allows 1e-7. 20 epochs at lr=0.01 reach the training
#: accuracy check_classifiers_train asks for (> 0.83) on its blobs read as 2-step sequences.
CHECKED = RNNClassifier(hidden_size=8, epochs=20, lr=0.01, dtype="float64", random_state=0)

#: every check passes: none is expected to fail
EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def memory_task(n: int, length: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Windows (n, length, 2): a value in U(-1, 1) and a marker at every step, the marker 1 at
    two random steps; the label is the sign of the sum of the two marked values (1: > 0).

    The two marks may sit anywhere, also at the first steps: the network must remember them
    for up to 49 steps while ignoring 48 distracting values.
    """
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.0, 1.0, (n, length))
    marks = np.zeros((n, length))
    for i in range(n):
        marks[i, rng.choice(length, 2, replace=False)] = 1.0
    X = np.stack([values, marks], axis=-1)
    return X, ((values * marks).sum(axis=1) > 0).astype(int)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_held_out_memory_task_reaches_95_percent_accuracy(cell):
    """2000 training sequences of 50 steps, 12 epochs of batches of 64: about 6 s each on 2
    cores shared with 8 other jobs (load 8.5); held-out accuracy 0.982 (GRU), 0.977 (LSTM)."""
    X, y = memory_task(2000, seed=0)
    X_test, y_test = memory_task(1000, seed=1)
    model = RNNClassifier(
        cell, hidden_size=16, epochs=12, lr=0.02, batch_size=64, patience=None, random_state=0
    ).fit(X, y)
    assert accuracy_score(y_test, model.predict(X_test)) >= 0.95


def test_validation_loss_is_scikit_learn_log_loss_of_the_kept_weights():
    X, y = memory_task(300, length=10, seed=2)
    model = RNNClassifier(
        "gru", hidden_size=6, epochs=4, dtype="float64", validation_fraction=0.25,
        patience=None, random_state=0,
    ).fit(X, y)
    tail = slice(225, None)  # the trailing quarter was held out
    expected = log_loss(y[tail], model.predict_proba(X[tail]), labels=model.classes_)
    assert model.history_["val_loss"][model.best_epoch_ - 1] == pytest.approx(expected, rel=1e-10)
    assert model.history_["val_loss"][model.best_epoch_ - 1] == min(model.history_["val_loss"])


def test_binary_probabilities_are_the_sigmoid_of_the_decision_function():
    X, y = memory_task(200, length=8, seed=3)
    labels = np.where(y == 1, "up", "down")
    model = RNNClassifier("rnn", hidden_size=4, epochs=2, random_state=0).fit(X, labels)
    z = model.decision_function(X)
    proba = model.predict_proba(X)
    assert model.classes_.tolist() == ["down", "up"] and z.shape == (200,)
    np.testing.assert_allclose(proba[:, 1], special.expit(z), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X), np.where(z > 0, "up", "down"))


def three_class_task(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One marked value per window of 15 steps; the label is its tercile: low, mid, high."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.0, 1.0, (n, 15))
    marks = np.zeros((n, 15))
    marks[np.arange(n), rng.integers(0, 15, n)] = 1.0
    marked = (values * marks).sum(axis=1)
    labels = np.array(["low", "mid", "high"])[np.digitize(marked, [-1 / 3, 1 / 3])]
    return np.stack([values, marks], axis=-1), labels


def test_multi_class_softmax_head_learns_a_three_class_memory_task():
    X, y = three_class_task(1200, seed=4)
    X_test, y_test = three_class_task(500, seed=5)
    model = RNNClassifier(
        "gru", hidden_size=12, epochs=10, lr=0.01, patience=None, random_state=0
    ).fit(X, y)
    assert model.network_.output_size == 3
    assert model.classes_.tolist() == ["high", "low", "mid"]
    z = model.decision_function(X_test)
    proba = model.predict_proba(X_test)
    np.testing.assert_allclose(proba, special.softmax(z, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X_test), model.classes_[z.argmax(axis=1)])
    assert accuracy_score(y_test, model.predict(X_test)) > 0.9


def test_grid_search_with_walk_forward_cv_and_log_loss_on_sp500_directions():
    close = forecast.load_dataset("sp500")["close"]
    returns = np.log(close).diff().dropna().to_numpy()[-600:]
    X, Y = forecast.make_windows(returns, window=10)
    up = (Y.ravel() > 0).astype(int)
    cv = WalkForwardSplit(n_splits=3, test_size=100)
    search = GridSearchCV(
        RNNClassifier(epochs=2, random_state=0),
        {"cell": ["gru", "rnn"], "hidden_size": [4, 8]},
        cv=cv,
        scoring="neg_log_loss",
    ).fit(X, up)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.isfinite(scores).all()
    # a log loss near log 2: daily directions are close to a coin flip
    assert -0.8 < search.best_score_ < -0.6
    assert search.best_estimator_.predict_proba(X[-5:]).shape == (5, 2)
    train, test = list(cv.split(X))[-1]
    assert train[-1] < test[0] and test[-1] == len(X) - 1


@pytest.mark.parametrize(
    "y, match",
    [
        (np.linspace(-1, 1, 40), r"Unknown label type: 'continuous'. RNNClassifier needs y of "),
        (np.zeros(40, dtype=int), r"y has 1 class only \(0 in all 40 samples\)"),
    ],
    ids=["real-valued", "one class"],
)
def test_targets_that_are_not_class_labels_are_refused_by_name(y, match):
    X = np.random.default_rng(0).standard_normal((40, 5))
    model = RNNClassifier(epochs=1)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "classes_")
