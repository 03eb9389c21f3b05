"""The NumPy recurrent-network models: what each module holds, in the order they build up.

    settings      every parameter the RNN models share: documented, defaulted, validated once
    divergence    what a usable fit is; DivergenceError, DivergenceWarning
    training      the epoch loop (early stopping, usable epochs), network (de)serialising
    streams       truncated BPTT over contiguous streams of 1..S series
    windows       many-to-one training on windows
    target        prices <-> the network's standardised increments (TargetTransform)
    rollout       recursive forecasts, conformal intervals, RecurrentForecaster
    forecaster    RNNForecaster: one series
    global_series GlobalSeriesForecaster and the backtest schedule of a global model
    global_model  GlobalRNNForecaster: one network, many series
    window_model  what the scikit-learn estimators on windows share
    regressor     RNNRegressor: a scikit-learn regressor on windows
    classifier    RNNClassifier: a scikit-learn classifier on windows (sigmoid/softmax head)
"""
