"""Model files: a bitwise round trip for every model, and tampered files refused unexecuted."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import forecast
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster
from forecast.models.persistence import FORMAT_VERSION, ModelFileError, load_model, save_model
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.models.rnn.regressor import RNNRegressor

RNN = dict(hidden_size=4, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def frame():
    return forecast.load_dataset("sp500").iloc[-600:]


FORECASTERS = {
    "ar-recursive": lambda: ARForecaster(5),
    "ar-direct-aic": lambda: ARForecaster("aic", max_order=5, strategy="direct", max_horizon=5),
    "naive-drift": lambda: NaiveForecaster(strategy="drift"),
    "naive-seasonal": lambda: NaiveForecaster(strategy="seasonal_last", sp=5),
    "rnn-tbptt-lstm": lambda: RNNForecaster("lstm", **RNN),
    "rnn-window-gru": lambda: RNNForecaster("gru", training="window", window=8, **RNN),
    "rnn-diff-float64": lambda: RNNForecaster("rnn", target="diff", dtype="float64", **RNN),
}


def _same(a, b):
    pd.testing.assert_series_equal(a.predict(5), b.predict(5), check_exact=True)
    pd.testing.assert_frame_equal(a.predict_interval(5), b.predict_interval(5), check_exact=True)


@pytest.mark.parametrize("make", FORECASTERS.values(), ids=FORECASTERS.keys())
def test_forecaster_round_trip_is_bitwise(make, frame, tmp_path):
    close = frame["close"]
    model = make().fit(close.iloc[:500])
    model.update(close.iloc[500:520])  # a Series that continues the dates
    model.update(close.iloc[520:530].to_numpy())  # an array: the dates continue by rule
    path = model.save(tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"  # the name is kept as given
    loaded = forecast.load_model(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    assert loaded.index_.equals(model.index_)
    _same(model, loaded)
    # the loaded model goes on exactly as the saved one: updates, then a refit
    for m in (model, loaded):
        m.update(close.iloc[530:540])
    _same(model, loaded)
    for m in (model, loaded):
        m.update(close.iloc[540:560].to_numpy(), refit=True)
    _same(model, loaded)


def test_rnn_forecaster_with_exogenous_inputs_round_trip(frame, tmp_path):
    X = pd.DataFrame({"volume": np.log(frame["volume"]), "range": frame["high"] - frame["low"]})
    # a direct head forecasts the 5 steps of _same from X observed up to the origin only
    model = RNNForecaster("gru", strategy="direct", max_horizon=5, **RNN)
    model.fit(frame["close"].iloc[:500], X=X.iloc[:500])
    loaded = load_model(model.save(tmp_path / "exog.npz"))
    _same(model, loaded)
    for m in (model, loaded):
        m.update(frame["close"].iloc[500:510], X=X.iloc[500:510])
    _same(model, loaded)
    assert loaded.history_ == model.history_


def test_rnn_regressor_round_trip(frame, tmp_path):
    returns = np.log(frame["close"]).diff().dropna().to_numpy()
    X, Y = forecast.make_windows(returns, window=10, horizon=2)
    model = RNNRegressor("lstm", **RNN).fit(X, Y)
    loaded = load_model(model.save(tmp_path / "regressor.npz"))
    np.testing.assert_array_equal(model.predict(X), loaded.predict(X))
    assert loaded.get_weights().keys() == model.get_weights().keys()
    for name, value in model.get_weights().items():
        assert value.dtype == loaded.get_weights()[name].dtype
        np.testing.assert_array_equal(value, loaded.get_weights()[name])
    loaded.partial_fit(X, Y)  # a fresh optimiser, but it trains on
    assert len(loaded.history_["train_loss"]) == len(model.history_["train_loss"]) + 1


def test_an_unfitted_model_round_trips(tmp_path):
    model = RNNForecaster("gru", hidden_size=3, k1=7)
    loaded = load_model(save_model(model, tmp_path / "unfitted.npz"))
    assert loaded.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        loaded.predict(1)


def test_save_refuses_other_objects(tmp_path):
    from sklearn.linear_model import Ridge

    with pytest.raises(TypeError, match="got an object of type sklearn.linear_model.*Ridge"):
        save_model(Ridge(), tmp_path / "ridge.npz")


# -------------------------------------------------------------------------- bad files


def _saved(tmp_path):
    close = forecast.load_dataset("sp500")["close"].iloc[-100:]
    path = save_model(ARForecaster(2).fit(close), tmp_path / "ar.npz")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return arrays, json.loads(str(arrays["__metadata__"]))


def _write(path, arrays, metadata=None):
    if metadata is not None:
        arrays = {**arrays, "__metadata__": np.array(json.dumps(metadata))}
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


class _Exploit:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickled_object_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    arrays, _ = _saved(tmp_path)
    evil = np.empty(1, dtype=object)
    evil[0] = _Exploit(marker)
    path = _write(tmp_path / "evil.npz", {**arrays, "a0": evil})
    with pytest.raises(ModelFileError, match="pickled object"):
        load_model(path)
    assert not marker.exists()
    # a plain pickle file under a model's name is refused the same way
    (tmp_path / "pickle.npz").write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(ModelFileError, match="is a pickle, not a model file"):
        load_model(tmp_path / "pickle.npz")
    assert not marker.exists()


def test_a_wrong_format_version_is_refused(tmp_path):
    arrays, metadata = _saved(tmp_path)
    path = _write(tmp_path / "v99.npz", arrays, {**metadata, "format_version": 99})
    with pytest.raises(ModelFileError, match=f"format version 99.*reads version {FORMAT_VERSION}"):
        load_model(path)


def test_a_class_off_the_whitelist_is_refused(tmp_path):
    arrays, metadata = _saved(tmp_path)
    path = _write(tmp_path / "popen.npz", arrays, {**metadata, "class": "subprocess.Popen"})
    with pytest.raises(ModelFileError, match="'subprocess.Popen', which is not one this package"):
        load_model(path)
    # nested objects are checked against their own whitelist too
    text = json.dumps(metadata).replace('"SeriesHistory"', '"Popen"')
    path = _write(tmp_path / "nested.npz", arrays, json.loads(text))
    with pytest.raises(ModelFileError, match="helper class 'Popen'"):
        load_model(path)


def test_a_missing_or_extra_array_is_refused(tmp_path):
    arrays, metadata = _saved(tmp_path)
    del arrays["a1"]
    with pytest.raises(ModelFileError, match="lacks the array 'a1'"):
        load_model(_write(tmp_path / "missing.npz", arrays))
    arrays, _ = _saved(tmp_path)
    arrays["extra"] = np.zeros(3)
    with pytest.raises(ModelFileError, match=r"does not refer to: \['extra'\]"):
        load_model(_write(tmp_path / "extra.npz", arrays))


def test_foreign_files_are_refused(tmp_path):
    (tmp_path / "prices.csv").write_text("date,close\n2020-01-02,1\n")
    with pytest.raises(ModelFileError, match="not a model file.*starts with b'date,clo'"):
        load_model(tmp_path / "prices.csv")
    np.savez(tmp_path / "plain.npz", x=np.arange(3))
    with pytest.raises(ModelFileError, match="no '__metadata__' entry"):
        load_model(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.arange(3))
    with pytest.raises(ModelFileError, match="single .npy array"):
        load_model(tmp_path / "single.npy")
    arrays, metadata = _saved(tmp_path)
    with pytest.raises(ModelFileError, match="format 'something-else'"):
        load_model(_write(tmp_path / "other.npz", arrays, {**metadata, "format": "something-else"}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__metadata__.npy", b"not an array")
    (tmp_path / "broken.npz").write_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError, match="not a model file"):
        load_model(tmp_path / "broken.npz")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nowhere.npz")


def test_ar_regressor_round_trip(frame, tmp_path):
    from forecast.models.ar_regressor import ARRegressor

    X, Y = forecast.make_windows(frame["close"], window=5)
    model = ARRegressor(alpha=0.1).fit(X, Y.ravel())
    loaded = load_model(save_model(model, tmp_path / "ar_regressor.npz"))
    np.testing.assert_array_equal(model.predict(X), loaded.predict(X))


def test_pickle_and_deepcopy_still_work(frame):
    """The engine's network holds a module; the models pickle it as sizes and weights."""
    import copy

    model = RNNForecaster("lstm", **RNN).fit(frame["close"].iloc[:300])
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        _same(model, twin)
        assert twin.network_ is not model.network_


def test_saving_into_a_missing_folder_names_the_folder_and_the_fix(tmp_path):
    target = tmp_path / "no" / "such" / "model.npz"
    with pytest.raises(ValueError, match=r"folder '.*no/such' does not exist; create it") as info:
        save_model(NaiveForecaster().fit(np.arange(1.0, 30.0)), target)
    assert ".tmp" not in str(info.value) and not (tmp_path / "no").exists()


def test_a_state_outside_the_schema_is_refused_at_save_time(tmp_path):
    model = NaiveForecaster().fit(np.arange(1.0, 30.0))
    model.sigma2_ = float("nan")
    with pytest.raises(ValueError, match="sigma2_"):
        save_model(model, tmp_path / "nan.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["ar-recursive", "naive-drift", "rnn-tbptt-lstm"])
def test_a_model_fitted_on_tz_aware_data_round_trips_with_its_zone(frame, tmp_path, name):
    close = frame["close"].iloc[-200:]
    close.index = close.index.tz_localize("America/New_York")
    model = FORECASTERS[name]().fit(close)
    loaded = load_model(save_model(model, tmp_path / "m.npz"))
    expected, got = model.predict(3), loaded.predict(3)
    assert str(got.index.tz) == "America/New_York"
    pd.testing.assert_series_equal(got, expected, check_exact=True)
    assert loaded.index_.equals(model.index_)


def test_an_unknown_time_zone_in_a_model_file_is_refused(frame, tmp_path):
    close = frame["close"].iloc[-200:]
    close.index = close.index.tz_localize("UTC")
    path = save_model(ARForecaster(2).fit(close), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    meta = np.load(io.BytesIO(members["__metadata__.npy"]))
    text = str(meta[()] if meta.shape == () else meta.tobytes().decode())
    assert '"tz": "UTC"' in text
    bad = np.array(text.replace('"tz": "UTC"', '"tz": "Mars/Olympus_Mons"'))
    buffer = io.BytesIO()
    np.save(buffer, bad)
    members["__metadata__.npy"] = buffer.getvalue()
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as archive:
        for member, raw in members.items():
            archive.writestr(member, raw)
    with pytest.raises(ModelFileError, match="bad.npz.*invalid index"):
        load_model(tmp_path / "bad.npz")
