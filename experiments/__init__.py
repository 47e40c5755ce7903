"""Reproducible experiments on micrograd, each a short script that writes its results
(``config.json``, CSV data, PNG and SVG figures) under ``results/<experiment>/``.

- ``loss_curve``: the reference 3-4-4-1 MLP over many seeds, against the published curve.
- ``lr_sweep``: the same model over seeds x learning rates.
- ``moons``: the classic two-moons classifier, a harder benchmark.

Run one from the repository root with ``python -m experiments.loss_curve`` (``--help`` for
options) or as ``micrograd experiment loss-curve``. The shared machinery lives beside them:
``runner`` (independent runs over worker processes or a Dask cluster), ``reference`` (the
reference model's training run), ``outputs`` (deterministic files), ``stats``, ``figures``
and ``options`` (the command-line options every script shares).
"""
