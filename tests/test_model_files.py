"""Model files are checked, not trusted: a schema per class, and bounded reads of the archive.

Every malformed file must raise one ModelFileError naming the file and the field; a mutated
file either raises it or loads as a model bitwise identical to the saved one.
"""

from __future__ import annotations

import io
import json
import math
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecast
from forecast.models.ar import ARForecaster
from forecast.models.ar_regressor import ARRegressor
from forecast.models.model_archive import MAX_DEPTH, MAX_TOTAL_BYTES
from forecast.models.naive import NaiveForecaster
from forecast.models.persistence import ModelFileError, load_model, save_model
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.models.rnn.regressor import RNNRegressor

RNN = dict(hidden_size=3, epochs=1, random_state=0)


def _fit_models():
    close = forecast.load_dataset("sp500")["close"].iloc[-300:]
    X, y = forecast.make_windows(np.log(close).diff().dropna().to_numpy(), window=4)
    return {
        "ar": ARForecaster(3).fit(close),
        "ar-direct": ARForecaster("aic", max_order=2, strategy="direct", max_horizon=2).fit(close),
        "naive": NaiveForecaster(strategy="drift").fit(close),
        "ar-regressor": ARRegressor(alpha=0.1).fit(X, y.ravel()),
        "rnn": RNNForecaster("lstm", **RNN).fit(close.iloc[-150:]),
        "rnn-regressor": RNNRegressor("gru", **RNN).fit(X[:100], y[:100]),
    }


MODELS = _fit_models()  # fitted once per module: hypothesis reuses them


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for name, model in MODELS.items():
        out[name] = save_model(model, folder / f"{name}.npz").read_bytes()
    return out


def _unpack(raw: bytes) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(io.BytesIO(raw)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return arrays, json.loads(str(arrays.pop("__metadata__")))


def _pack(arrays: dict[str, np.ndarray], metadata: dict | str) -> bytes:
    text = metadata if isinstance(metadata, str) else json.dumps(metadata, allow_nan=True)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, __metadata__=np.array(text))
    return buffer.getvalue()


def _attrs(metadata: dict) -> dict:
    """The top-level attributes of the saved state, as a dict of JSON nodes."""
    return dict(metadata["state"]["__dict__"])


def _with(metadata: dict, **changes) -> dict:
    """``metadata`` with top-level attributes replaced (None as a key value deletes)."""
    pairs = [[k, changes.get(k, v)] for k, v in metadata["state"]["__dict__"]]
    pairs += [[k, v] for k, v in changes.items() if k not in _attrs(metadata)]
    return {**metadata, "state": {"__dict__": pairs}}


def _load(raw: bytes, tmp_path, name="model.npz"):
    path = tmp_path / name
    path.write_bytes(raw)
    return load_model(path)


def _refused(raw: bytes, tmp_path, *fields: str):
    """Assert that the file is refused with one ModelFileError naming it and ``fields``."""
    with pytest.raises(ModelFileError) as info:
        _load(raw, tmp_path, "bad.npz")
    message = str(info.value)
    assert "bad.npz" in message
    for field in fields:
        assert field in message, message
    return message


# ------------------------------------------------------------------ the listed cases


def test_a_nan_coefficient_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    ref = _attrs(metadata)["coef_"]["__array__"]
    arrays[ref] = np.where(np.arange(arrays[ref].size) == 0, np.nan, arrays[ref])
    _refused(_pack(arrays, metadata), tmp_path, "coef_", "NaN")


def test_a_negative_variance_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    _refused(_pack(arrays, _with(metadata, sigma2_=-1.0)), tmp_path, "sigma2_", "-1.0")
    arrays, metadata = _unpack(files["naive"])
    _refused(_pack(arrays, _with(metadata, sigma2_=-1.0)), tmp_path, "sigma2_")


def test_an_integer_variance_is_refused_as_the_wrong_type(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    _refused(_pack(arrays, _with(metadata, sigma2_=1)), tmp_path, "sigma2_", "float")


def test_a_string_order_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    _refused(_pack(arrays, _with(metadata, order_="abc")), tmp_path, "order_", "'abc'")


def test_a_coefficient_vector_of_the_wrong_length_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    ref = _attrs(metadata)["coef_"]["__array__"]
    arrays[ref] = arrays[ref][:-1]
    _refused(_pack(arrays, metadata), tmp_path, "coef_")


def test_a_key_that_shadows_a_method_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    _refused(_pack(arrays, _with(metadata, predict=5)), tmp_path, "ARForecaster.predict", "method")
    arrays, metadata = _unpack(files["ar"])  # a property too
    _refused(_pack(arrays, _with(metadata, fittedvalues_=5)), tmp_path, "fittedvalues_")


def test_a_key_outside_the_schema_is_refused_at_every_level(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    _refused(_pack(arrays, _with(metadata, extra_=1.0)), tmp_path, "ARForecaster.extra_")
    arrays, metadata = _unpack(files["naive"])
    history = _attrs(metadata)["_history"]
    history["state"]["__dict__"].append(["_evil", 1])
    _refused(_pack(arrays, metadata), tmp_path, "_history._evil")


def test_a_class_relabelled_from_ar_to_naive_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    _refused(_pack(arrays, {**metadata, "class": "NaiveForecaster"}), tmp_path, "NaiveForecaster.")


def test_a_missing_fitted_attribute_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["naive"])
    metadata["state"]["__dict__"] = [p for p in metadata["state"]["__dict__"] if p[0] != "drift_"]
    _refused(_pack(arrays, metadata), tmp_path, "drift_", "missing")


def test_deeply_nested_json_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["naive"])
    head = json.dumps({k: v for k, v in metadata.items() if k != "state"})[:-1]
    deep = head + ', "state": ' + "[" * 100_000 + "]" * 100_000 + "}"  # RecursionError before
    _refused(_pack({}, deep), tmp_path, "nested")
    moderate = _with(metadata, sp=json.loads("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)))
    _refused(_pack(arrays, moderate), tmp_path, "nested deeper than")


def test_metadata_or_a_helper_object_without_a_state_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["naive"])
    del metadata["state"]
    _refused(_pack(arrays, metadata), tmp_path, "state")
    arrays, metadata = _unpack(files["naive"])
    del _attrs(metadata)["_history"]["state"]  # was KeyError('state')
    _refused(_pack(arrays, metadata), tmp_path, "NaiveForecaster._history")


def test_an_unhashable_dict_key_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["naive"])
    metadata["state"]["__dict__"].append([[1, 2], 3])
    _refused(_pack(arrays, metadata), tmp_path, "key [1, 2]")
    metadata = _unpack(files["naive"])[1]
    metadata["state"]["__dict__"].append([{"__dict__": []}, 3])
    _refused(_pack(arrays, metadata), tmp_path, "key")


def test_a_bad_date_is_refused(files, tmp_path):
    for change in ({"values": "2020-13-45"}, {"freq": "not-a-frequency"}, {"freq": "D"}):
        arrays, metadata = _unpack(files["naive"])
        index = _attrs(metadata)["_history"]["state"]["__dict__"][2][1]["__index__"]
        if "values" in change:  # the labels become a string; their array goes too
            del arrays[index["values"]["__array__"]]
        index.update(change)
        _refused(_pack(arrays, metadata), tmp_path, "_history", "index")
    arrays, metadata = _unpack(files["naive"])
    _refused(
        _pack(arrays, _with(metadata, mean_={"__timestamp__": "2020-13-45"})), tmp_path, "mean_"
    )


def _replace_member(raw: bytes, name: str, data: bytes, compress=zipfile.ZIP_STORED) -> bytes:
    """The archive ``raw`` with member ``name`` replaced by (or added as) ``data``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info, old.read(info))
        new.writestr(name, data, compress_type=compress)
    return out.getvalue()


def _npy_header(shape: tuple, descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _peak_bytes(action) -> int:
    """The peak of Python-tracked allocations while ``action()`` runs (NumPy included)."""
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_header_claiming_ten_billion_elements_is_refused_without_allocating(files, tmp_path):
    arrays, metadata = _unpack(files["ar"])
    ref = _attrs(metadata)["coef_"]["__array__"]
    raw = _replace_member(files["ar"], f"{ref}.npy", _npy_header((10**10,)) + b"\0" * 24)
    path = tmp_path / "huge.npz"
    path.write_bytes(raw)
    errors = []
    peak = _peak_bytes(lambda: errors.append(pytest.raises(ModelFileError, load_model, path)))
    assert "claims shape (10000000000,)" in str(errors[0].value) and ref in str(errors[0].value)
    assert peak < 5 * 2**20


def _with_bomb(raw: bytes, name: str, size: int) -> bytes:
    """``raw`` with member ``name`` replaced by (or added as) a deflated .npy of ``size``
    bytes of zeros (deflate level 1: about 230 times smaller)."""
    n, zeros = size // 8, bytes(2**20)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new,
    ):
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info, old.read(info))  # stored, as the info says
        with new.open(name, "w", force_zip64=True) as member:
            member.write(_npy_header((n,)))
            for _ in range(n * 8 // len(zeros)):
                member.write(zeros)
    return out.getvalue()


@pytest.mark.parametrize(
    "member, size, reason",
    [
        ("a999", MAX_TOTAL_BYTES + 2**20, "declares 269484160 bytes"),  # over the cap
        ("a999", 64 * 2**20, "does not refer to: ['a999']"),  # under it, but not referred to
        ("coef_", MAX_TOTAL_BYTES + 2**20, "field {ref}: the member declares 269484160 bytes"),
    ],
    ids=["extra-member-over-the-cap", "extra-member-under-the-cap", "referenced-member"],
)
def test_a_zip_bomb_member_is_refused_before_decompression(files, tmp_path, member, size, reason):
    arrays, metadata = _unpack(files["ar"])
    name = _attrs(metadata)["coef_"]["__array__"] if member == "coef_" else member
    path = tmp_path / "bomb.npz"
    path.write_bytes(_with_bomb(files["ar"], f"{name}.npy", size))
    assert path.stat().st_size < 2 * 2**20  # a small file ...
    errors = []
    peak = _peak_bytes(lambda: errors.append(pytest.raises(ModelFileError, load_model, path)))
    assert reason.format(ref=name) in str(errors[0].value) and "bomb.npz" in str(errors[0].value)
    assert peak < 2**20  # ... refused without decompressing its 64 or 257 MB


# ------------------------------------------------------------------ RNN specifics


def test_network_sizes_must_match_the_parameters(files, tmp_path):
    arrays, metadata = _unpack(files["rnn"])
    _refused(_pack(arrays, _with(metadata, hidden_size=4)), tmp_path, "network_")
    arrays, metadata = _unpack(files["rnn-regressor"])
    weights = _attrs(metadata)["network_"]["__network__"]["__dict__"]
    ref = dict(weights)["weights"]["__dict__"][0][1]["__array__"]
    arrays[ref] = arrays[ref][:, :-1]
    _refused(_pack(arrays, metadata), tmp_path, "network_")


def test_network_sizes_no_saved_weight_backs_are_refused_without_allocating(files, tmp_path):
    arrays, metadata = _unpack(files["rnn"])
    config = _attrs(metadata)["network_"]["__network__"]["__dict__"]
    config[[k for k, _ in config].index("hidden_size")][1] = 10**6  # 4e12 weights to draw
    path = tmp_path / "huge-net.npz"
    path.write_bytes(_pack(arrays, metadata))
    errors = []
    peak = _peak_bytes(lambda: errors.append(pytest.raises(ModelFileError, load_model, path)))
    assert "network_.weights: shapes do not match" in str(errors[0].value)
    assert peak < 5 * 2**20


def test_rnn_parameters_are_checked_by_the_estimators_own_validation(files, tmp_path):
    arrays, metadata = _unpack(files["rnn"])
    _refused(_pack(arrays, _with(metadata, lr=-1.0)), tmp_path, "lr")
    _refused(
        _pack(arrays, _with(metadata, validation_fraction=1.0)), tmp_path, "validation_fraction"
    )
    _refused(_pack(arrays, _with(metadata, training="magic")), tmp_path, "training", "magic")


def test_a_weight_of_another_dtype_than_the_network_is_refused(files, tmp_path):
    arrays, metadata = _unpack(files["rnn"])
    _refused(_pack(arrays, _with(metadata, dtype="float64")), tmp_path, "dtype")


# ------------------------------------------------------------------ mutation fuzzing

# keys whose removal leaves a valid (different) model: RNNRegressor.partial_fit keeps no
# validation losses, so a regressor's training record may lack them
_OPTIONAL = {"val_loss"}
# where NaN is a valid value, so a NaN written there gives a valid (different) model: the
# training record (a diverged epoch's loss) and the RNN's validation errors (steps that
# run past the data)
_NAN_ALLOWED = {"history_", "_errors"}


def _nodes(node, path=(), names=()):
    """Every JSON node under ``node`` as (path, names of the attributes above it, node)."""
    yield path, names, node
    if isinstance(node, list):
        named = len(node) == 2 and isinstance(node[0], str)
        for i, item in enumerate(node):
            yield from _nodes(item, (*path, i), (*names, node[0]) if named and i else names)
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _nodes(item, (*path, key), names)


def _set(root, path, value):
    for step in path[:-1]:
        root = root[step]
    root[path[-1]] = value


def _retyped(node):
    """A value of another JSON type than ``node`` (a list: no scalar field or name takes one)."""
    if isinstance(node, bool):
        return "yes"
    if isinstance(node, (int, float)):
        return str(node)
    return 7.5 if isinstance(node, (list, dict)) else [str(node)]


def _same(a, b) -> bool:
    """Bitwise equality of saved values: arrays by dtype, shape and bytes, floats by repr."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            type(a) is type(b)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "get_weights"):  # a network: its sizes and weights
        return vars(a).keys() == vars(b).keys() and _same(a.get_weights(), b.get_weights())
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return _same(vars(a), vars(b))
    return a == b


def _outputs(model):
    if hasattr(model, "predict_interval"):
        return model.predict(2), model.predict_interval(2)
    return (model.predict(np.linspace(-0.01, 0.01, 4 * model.n_features_in_).reshape(4, -1)),)


def _assert_identical(loaded, model):
    assert type(loaded) is type(model)
    assert _same(loaded.get_params(), model.get_params())
    public = sorted(k for k in vars(model) if k.endswith("_") and not k.startswith("_"))
    assert public == sorted(k for k in vars(loaded) if k.endswith("_") and not k.startswith("_"))
    for key in public:
        assert _same(getattr(loaded, key), getattr(model, key)), key
    for got, want in zip(_outputs(loaded), _outputs(model), strict=True):
        if isinstance(want, np.ndarray):
            assert _same(got, want)
        else:
            assert want.equals(got) and _same(got.to_numpy(), want.to_numpy())


_KINDS = ["retype", "nan", "shape", "extra", "missing", "truncate", "flip"]
_CHANGES = ["drop", "add", "dim", "flat", "float", "int"]


def _mutated(raw: bytes, kind: str, a: int, b: int, c: int) -> bytes:
    """The model file ``raw`` with one mutation of ``kind``; ``a`` and ``b`` pick among the
    candidates (modulo their number), ``c`` is the xor of a byte flip."""
    if kind == "truncate":
        return raw[: a % len(raw)]
    if kind == "flip":
        i = a % len(raw)
        return raw[:i] + bytes([raw[i] ^ c]) + raw[i + 1 :]
    arrays, metadata = _unpack(raw)
    nodes = list(_nodes(metadata))
    containers = [n for n in nodes if isinstance(n[2], (list, dict))]
    if kind == "retype":
        path, _, node = nodes[1 + a % (len(nodes) - 1)]
        _set(metadata, path, _retyped(node))
    elif kind == "extra":
        path, _, node = containers[a % len(containers)]
        if isinstance(node, dict):
            node["junk"] = 1
        else:
            node.append(["junk_", 1.0] if path and path[-1] == "__dict__" else 1.0)
    elif kind == "missing":
        path, _, node = containers[a % len(containers)]
        keys = [
            k
            for k in (list(node) if isinstance(node, dict) else range(len(node)))
            if not (isinstance(node[k], list) and node[k] and str(node[k][0]) in _OPTIONAL)
        ]
        if keys:
            del node[keys[b % len(keys)]]
    elif kind == "nan":  # in a JSON float or an array element
        floats = [n[0] for n in nodes if type(n[2]) is float and not _NAN_ALLOWED & set(n[1])]
        refs = [
            (n[2]["__array__"], n[1])
            for n in nodes
            if isinstance(n[2], dict) and "__array__" in n[2]
        ]
        targets = [
            k
            for k, names in refs
            if arrays[k].dtype.kind == "f" and arrays[k].size and not _NAN_ALLOWED & set(names)
        ]
        pick = (floats + targets)[a % len(floats + targets)]
        if isinstance(pick, tuple):
            _set(metadata, pick, math.nan)
        else:
            array = arrays[pick].copy()
            array.flat[b % array.size] = np.nan
            arrays[pick] = array
    else:  # shape or dtype of an array
        key = sorted(arrays)[a % len(arrays)]
        array, change = arrays[key], _CHANGES[b % len(_CHANGES)]
        if change == "drop" and array.ndim and len(array):
            array = array[:-1]
        elif change == "add" and array.ndim and len(array):
            array = np.concatenate([array, array[-1:]])
        elif change == "dim":
            array = array[None]
        elif change == "flat" and array.ndim > 1:
            array = array.ravel()
        elif change == "float" and array.dtype.kind != "f":
            ints = array.view(np.int64) if array.dtype.kind == "M" else array
            array = ints.astype(np.float64)
        elif change == "int" and array.dtype.kind in "fM":
            with np.errstate(invalid="ignore"):  # a NaN (an allowed one) casts to some int
                array = array.astype(np.int64) if array.dtype.kind == "f" else array.view(np.int64)
        arrays[key] = array
    return _pack(arrays, metadata)


@pytest.mark.parametrize("name", list(MODELS))
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(_KINDS),
    a=st.integers(0, 2**32),
    b=st.integers(0, 2**32),
    c=st.integers(1, 255),
)
def test_a_mutated_file_is_refused_or_loads_the_identical_model(
    name, files, tmp_path, kind, a, b, c
):
    path = tmp_path / "mutated.npz"
    path.write_bytes(_mutated(files[name], kind, a, b, c))
    try:
        loaded = load_model(path)
    except ModelFileError as err:
        assert "mutated.npz" in str(err)
        return
    _assert_identical(loaded, MODELS[name])


DATA = Path(__file__).parent / "data"


def test_rnn_files_written_before_the_models_rnn_package_still_load_and_forecast_the_same(
    monkeypatch,
):
    # written by the code of main before forecast.models.rnn (issue 13): RNNForecaster on
    # the last 80 S&P 500 closes, RNNRegressor on their 5-return windows; the numbers are
    # the NumPy engine's, bit for bit (the numba engine agrees to rounding)
    monkeypatch.setenv("FORECAST_ENGINE", "numpy")
    close = forecast.load_dataset("sp500")["close"].iloc[-80:]
    model = load_model(DATA / "rnn_forecaster_v0.npz")
    assert type(model) is forecast.RNNForecaster
    np.testing.assert_array_equal(
        model.predict(3).to_numpy(), [2510.107481473069, 2513.551349191171, 2517.1173645419794]
    )
    assert model.index_.equals(close.index)
    X, _ = forecast.make_windows(np.log(close).diff().dropna().to_numpy(), window=5)
    regressor = load_model(DATA / "rnn_regressor_v0.npz")
    assert type(regressor) is forecast.RNNRegressor
    np.testing.assert_array_equal(
        regressor.predict(X[-3:]),
        [-0.0034384958267780364, -0.0026218441802214245, -0.0026111612299846336],
    )
