"""The numba engine's compiled kernels (``pip install "forecast[fast]"``).

``rnn``, ``lstm`` and ``gru`` have the interface of ``forecast.nn.rnn``/``lstm``/``gru``
(``forward``, ``backward``, ``N_GATES``, ``STATE_NAMES``); ``layout`` moves data between the
network's layout and a block's rows, ``blocks`` splits the batch over threads, and
``activations`` holds the SIMD-friendly float32 tanh and sigmoid. These modules import numba,
so ``forecast.nn.engine`` imports them only when the numba engine is used.
"""
