"""A real Dask cluster runs a many-series comparison and gets the serial results exactly."""

from __future__ import annotations

import pandas as pd
from dask import distributed  # in the test extra, and the `forecast[dask]` extra

from forecast import load_dataset
from forecast.cli import main
from forecast.comparison import compare
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster
from forecast.models.rnn_forecaster import RNNForecaster


def test_local_cluster_gives_the_serial_results(capsys):
    data = load_dataset("stocks_monthly")
    models = {
        "Drift": NaiveForecaster(strategy="drift"),
        "AR(2)": ARForecaster(order=2),
        "GRU": RNNForecaster(cell="gru", hidden_size=3, epochs=2, random_state=1),
    }
    kwargs = dict(test_size=12, refit_every={"Drift": 1, "AR(2)": 1, "GRU": 6})
    serial = compare(models, data, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            with distributed.get_task_stream(client) as stream:
                on_client = compare(models, data, scheduler=client, **kwargs)
            assert len(stream.data) > 0  # the backtests ran on the cluster
        on_address = compare(models, data, scheduler=cluster.scheduler_address, **kwargs)
        code = main(["compare", "--dataset", "stocks_monthly", "--models", "naive,ar",
                     "--test-size", "12", "--scheduler", cluster.scheduler_address])
        on_cli = capsys.readouterr()
    assert code == 0, on_cli.err
    assert main(["compare", "--dataset", "stocks_monthly", "--models", "naive,ar",
                 "--test-size", "12"]) == 0
    assert capsys.readouterr().out.split("compared")[0] == on_cli.out.split("compared")[0]
    for res in (on_client, on_address):
        assert list(res.results) == list(serial.results)
        for name in serial.results:
            for attr in ("backtests", "metrics", "return_metrics", "tests"):
                pd.testing.assert_frame_equal(getattr(res[name], attr),
                                              getattr(serial[name], attr), check_exact=True)
        pd.testing.assert_frame_equal(res.summary, serial.summary, check_exact=True)
