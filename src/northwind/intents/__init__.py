"""Northwind's intent classifier: BANKING77's 77 intents with calibrated confidence.

>>> from northwind.intents import IntentClassifier
>>> clf = IntentClassifier.load()            # the model `northwind intents train` wrote
>>> clf.predict(["I am still waiting on my card?"])
[('card_arrival', 0.97)]

Needs scikit-learn: ``pip install "prodready[northwind]"``. See docs/reference-agent.md.
"""

from northwind.intents._data import TRAINING_SPLIT, CsvError, Examples, read_csv
from northwind.intents._model import (
    DEFAULT_DIR,
    ECE_BINS,
    Calibration,
    IntentClassifier,
    Metrics,
    MissingDependencyError,
    ReliabilityBin,
    calibration,
    dev_split,
    score,
)

__all__ = [
    "DEFAULT_DIR",
    "ECE_BINS",
    "TRAINING_SPLIT",
    "Calibration",
    "CsvError",
    "Examples",
    "IntentClassifier",
    "Metrics",
    "MissingDependencyError",
    "ReliabilityBin",
    "calibration",
    "dev_split",
    "read_csv",
    "score",
]
