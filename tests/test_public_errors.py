"""The errors users catch are public names of the package."""

import forecast
from forecast.data.yahoo import YahooDownloadError
from forecast.models.persistence import ModelFileError
from forecast.models.rnn.divergence import DivergenceError


def test_errors_users_catch_are_exported_from_the_package():
    assert forecast.DivergenceError is DivergenceError
    assert forecast.ModelFileError is ModelFileError
    assert forecast.YahooDownloadError is YahooDownloadError
    assert issubclass(forecast.FloatRangeError, ValueError)
    assert issubclass(forecast.DivergenceWarning, Warning)
    assert {"DivergenceError", "ModelFileError", "YahooDownloadError"} <= set(forecast.__all__)


def test_a_bad_model_file_is_a_value_error():
    assert issubclass(forecast.ModelFileError, ValueError)


def test_the_conformal_meta_estimator_is_a_public_name():
    from forecast.models.conformal import ConformalForecaster

    assert forecast.ConformalForecaster is ConformalForecaster
    assert "ConformalForecaster" in forecast.__all__
