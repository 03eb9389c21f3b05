"""Forecasters and regressors: naive and AR(tau) baselines, and the NumPy RNN models."""
