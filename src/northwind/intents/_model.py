"""The intent classifier: TF-IDF word and character n-grams, and MiniLM sentence embeddings,
under a logistic regression, plus each intent's nearest training query in MiniLM space, with a
fitted softmax temperature."""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from northwind.intents._data import Examples

EXTRA = 'pip install "prodready[northwind]"'
MODEL_FILE = "intents.joblib"
DEFAULT_DIR = Path(".northwind")
ECE_BINS = 15
# Inverse L2 strength of the logistic regression, with and without the MiniLM features.
C = 10.0
C_TFIDF = 20.0
EMBEDDING_WEIGHT = 2.0  # MiniLM columns scaled against the unit-length TF-IDF rows
# Added to an intent's logit per unit of cosine similarity between the query and that intent's
# nearest training query (MiniLM embeddings); see docs/reference-agent.md for the measurements.
NEIGHBOUR_WEIGHT = 10.0
CALIBRATION_FRACTION = 0.1  # of the training data held out to fit the temperature
_FORMAT = 3


class MissingDependencyError(RuntimeError):
    """scikit-learn (or joblib) is not installed; the message names the extra to install."""


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.partition(".")[0]
        raise MissingDependencyError(
            f"the intent classifier needs {package!r}, which is not installed: {EXTRA}"
        ) from None


def _tfidf() -> Any:
    text = _require("sklearn.feature_extraction.text")
    pipeline = _require("sklearn.pipeline")
    return pipeline.FeatureUnion(
        [
            ("words", text.TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            (
                "chars",
                text.TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
        ]
    )


def _embed(texts: Sequence[str]) -> Any:
    """MiniLM sentence embeddings (prodready's ``embed`` extra), as a float64 array."""
    np = _require("numpy")
    try:
        from prodready.models import ConfigurationError, minilm_embedder

        embedder = minilm_embedder()
    except ConfigurationError as exc:
        raise MissingDependencyError(f"{exc} (or train with --no-embeddings)") from None
    return np.asarray(embedder.embed(list(texts)), dtype=np.float64)


class _Neighbours:
    """The training queries' MiniLM embeddings grouped by intent: scores each intent by the
    cosine similarity of a query to that intent's nearest training query."""

    def __init__(self, vectors: Any, labels: Sequence[str], classes: list[str]) -> None:
        np = _require("numpy")
        index = {c: i for i, c in enumerate(classes)}
        order = np.argsort([index[y] for y in labels], kind="stable")
        counts = np.bincount([index[y] for y in labels], minlength=len(classes))
        self.vectors = np.asarray(vectors, dtype=np.float32)[order]
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    def similarity(self, vectors: Any) -> Any:
        """For each query (row) and intent (column), the highest cosine similarity."""
        np = _require("numpy")
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        return np.maximum.reduceat(sims, self.starts, axis=1).astype(np.float64)


class _Model:
    """The fitted parts: TF-IDF features, optional MiniLM features and nearest training
    queries, logistic regression, T."""

    def __init__(self, *, embeddings: bool, seed: int) -> None:
        self.embeddings = embeddings
        self.features = _tfidf()
        self.linear = _require("sklearn.linear_model").LogisticRegression(
            C=C if embeddings else C_TFIDF, max_iter=3000, random_state=seed
        )
        self.neighbours: _Neighbours | None = None
        self.temperature = 1.0

    def _matrix(self, texts: Sequence[str], vectors: Any, *, fit: bool) -> Any:
        sparse = _require("scipy.sparse")
        x = self.features.fit_transform(texts) if fit else self.features.transform(texts)
        if vectors is None:
            return x
        return sparse.hstack([x, sparse.csr_matrix(vectors * EMBEDDING_WEIGHT)]).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str], vectors: Any = None) -> _Model:
        if self.embeddings and vectors is None:
            vectors = _embed(texts)
        self.linear.fit(self._matrix(texts, vectors, fit=True), list(labels))
        if vectors is not None:
            self.neighbours = _Neighbours(vectors, labels, self.classes)
        return self

    def logits(self, texts: Sequence[str], vectors: Any = None) -> Any:
        if self.embeddings and vectors is None:
            vectors = _embed(texts)
        z = self.linear.decision_function(self._matrix(texts, vectors, fit=False))
        if z.ndim == 1:  # two intents: one logit for the second, the first's is 0
            np = _require("numpy")
            z = np.column_stack([np.zeros_like(z), z])
        if self.neighbours is not None:
            z = z + NEIGHBOUR_WEIGHT * self.neighbours.similarity(vectors)
        return z

    def proba(self, texts: Sequence[str]) -> Any:
        return _softmax(self.logits(texts) / self.temperature)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.linear.classes_]


def _softmax(z: Any) -> Any:
    np = _require("numpy")
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(logits: Any, classes: list[str], labels: Sequence[str]) -> float:
    """The temperature minimising the negative log-likelihood of ``labels`` (grid search)."""
    np = _require("numpy")
    index = {c: i for i, c in enumerate(classes)}
    rows = [(r, index[y]) for r, y in enumerate(labels) if y in index]
    if not rows:
        return 1.0
    r, c = np.asarray([a for a, _ in rows]), np.asarray([b for _, b in rows])
    best, best_nll = 1.0, float("inf")
    for t in np.arange(0.3, 2.01, 0.05):
        nll = float(-np.log(_softmax(logits / t)[r, c] + 1e-12).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


@dataclass(frozen=True)
class Metrics:
    """Accuracy and macro-F1 over ``n`` labelled queries."""

    accuracy: float
    macro_f1: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """The JSON form: keys ``accuracy``, ``macro_f1`` and ``n``."""
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "n": self.n}


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin: predictions with confidence in ``(low, high]``."""

    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True)
class Calibration:
    """Expected calibration error over equal-width confidence bins, and the bins."""

    ece: float
    bins: list[ReliabilityBin] = field(default_factory=list)


def calibration(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = ECE_BINS
) -> Calibration:
    """ECE: the count-weighted mean gap between confidence and accuracy per bin.

    Bins are equal-width over [0, 1]; empty bins are left out of the table.
    """
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    total = len(confidences)
    bins: list[ReliabilityBin] = []
    ece = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        members = [
            i for i, c in enumerate(confidences) if (low < c <= high) or (b == 0 and c == 0.0)
        ]
        if not members:
            continue
        mean_conf = sum(confidences[i] for i in members) / len(members)
        acc = sum(1 for i in members if correct[i]) / len(members)
        ece += len(members) / total * abs(acc - mean_conf)
        bins.append(ReliabilityBin(low, high, len(members), mean_conf, acc))
    return Calibration(ece, bins)


class IntentClassifier:
    """A trained BANKING77 intent classifier.

    >>> clf = IntentClassifier.train(examples)          # or IntentClassifier.load(path)
    >>> clf.predict(["my card hasn't arrived"])
    [('card_arrival', 0.93)]
    """

    def __init__(self, model: _Model, *, train_seconds: float = 0.0) -> None:
        self._model = model
        self.train_seconds = train_seconds

    @classmethod
    def train(
        cls, examples: Examples, *, embeddings: bool = True, calibrate: bool = True, seed: int = 0
    ) -> IntentClassifier:
        """Fit the features and the model on ``examples``.

        Args:
            embeddings: add MiniLM sentence embeddings (prodready's ``embed`` extra) to the
                TF-IDF features, and add to each intent's logit the query's similarity to
                that intent's nearest training query (the model keeps their embeddings).
            calibrate: fit a softmax temperature on a stratified tenth of ``examples`` held
                out from a first fit, then refit on all of them (twice the training time).
            seed: seeds the held-out tenth and the model.

        Raises:
            MissingDependencyError: scikit-learn, or with ``embeddings`` the embed extra, is
                not installed.
            ValueError: fewer than two intents among the examples.
        """
        if len(set(examples.labels)) < 2:
            raise ValueError("training needs at least two intents")
        np = _require("numpy")
        start = time.perf_counter()
        vectors = _embed(examples.texts) if embeddings else None
        temperature = 1.0
        if calibrate:
            selection = _require("sklearn.model_selection")
            index = np.arange(len(examples))
            try:
                fit_idx, held_idx = selection.train_test_split(
                    index,
                    test_size=CALIBRATION_FRACTION,
                    random_state=seed,
                    stratify=examples.labels,
                )
            except ValueError:  # an intent with a single example: no stratified split
                fit_idx = held_idx = None
            if fit_idx is not None and held_idx is not None:
                texts, labels = np.asarray(examples.texts, dtype=object), examples.labels
                first = _Model(embeddings=embeddings, seed=seed).fit(
                    list(texts[fit_idx]),
                    [labels[i] for i in fit_idx],
                    None if vectors is None else vectors[fit_idx],
                )
                temperature = _fit_temperature(
                    first.logits(
                        list(texts[held_idx]), None if vectors is None else vectors[held_idx]
                    ),
                    first.classes,
                    [labels[i] for i in held_idx],
                )
        model = _Model(embeddings=embeddings, seed=seed).fit(
            examples.texts, examples.labels, vectors
        )
        model.temperature = temperature
        return cls(model, train_seconds=time.perf_counter() - start)

    @property
    def intents(self) -> list[str]:
        """The intents the model knows, sorted."""
        return self._model.classes

    @property
    def uses_embeddings(self) -> bool:
        """Whether MiniLM embeddings are among the features."""
        return self._model.embeddings

    @property
    def temperature(self) -> float:
        """The softmax temperature fitted for calibration (1.0: none)."""
        return self._model.temperature

    def predict_proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """For each text, the probability of every known intent (summing to 1)."""
        if not texts:
            return []
        names = self.intents
        return [
            {n: float(p) for n, p in zip(names, row, strict=True)}
            for row in self._model.proba(list(texts))
        ]

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """For each text, the most likely intent and its calibrated confidence in [0, 1]."""
        if not texts:
            return []
        names = self.intents
        out: list[tuple[str, float]] = []
        for row in self._model.proba(list(texts)):
            best = int(row.argmax())
            out.append((names[best], min(1.0, max(0.0, float(row[best])))))
        return out

    def evaluate(self, examples: Examples) -> Metrics:
        """Accuracy and macro-F1 (over the intents present in ``examples`` or predicted)."""
        return score([p for p, _ in self.predict(examples.texts)], examples.labels)

    def calibration(self, examples: Examples, n_bins: int = ECE_BINS) -> Calibration:
        """Expected calibration error of the top-intent confidence on ``examples``."""
        predictions = self.predict(examples.texts)
        return calibration(
            [c for _, c in predictions],
            [p == y for (p, _), y in zip(predictions, examples.labels, strict=True)],
            n_bins,
        )

    def save(self, path: Path | str) -> Path:
        """Write the model with joblib; ``path`` is a file or a directory (then
        ``DIR/intents.joblib``). Returns the file written."""
        joblib = _require("joblib")
        target = Path(path)
        if target.suffix != ".joblib":
            target = target / MODEL_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {"format": _FORMAT, "model": self._model, "train_seconds": self.train_seconds},
            target,
        )
        return target

    @classmethod
    def load(cls, path: Path | str = DEFAULT_DIR) -> IntentClassifier:
        """Read a model written by :meth:`save` (a file, or a directory holding one).

        Only load files you wrote: joblib files are pickles and can run code.

        Raises:
            FileNotFoundError: no model there (train one with ``northwind intents train``).
        """
        joblib = _require("joblib")
        source = Path(path)
        if source.is_dir() or source.suffix != ".joblib":
            source = source / MODEL_FILE
        if not source.is_file():
            raise FileNotFoundError(
                f"{source}: no intent model; train one with `northwind intents train`"
            )
        data = joblib.load(source)
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"{source}: not an intent model of this version; train it again")
        return cls(data["model"], train_seconds=float(data.get("train_seconds", 0.0)))


def score(predicted: Sequence[str], expected: Sequence[str]) -> Metrics:
    """Accuracy and macro-F1 of ``predicted`` against ``expected`` intents."""
    metrics = _require("sklearn.metrics")
    n = len(expected)
    if n == 0:
        return Metrics(0.0, 0.0, 0)
    return Metrics(
        accuracy=float(metrics.accuracy_score(expected, predicted)),
        macro_f1=float(metrics.f1_score(expected, predicted, average="macro", zero_division=0)),
        n=n,
    )


def dev_split(
    examples: Examples, *, dev_fraction: float = 0.1, seed: int = 0
) -> tuple[Examples, Examples]:
    """A stratified split of ``examples`` into (train, dev), seeded."""
    if not 0.0 < dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be between 0 and 1 (exclusive), got {dev_fraction}")
    selection = _require("sklearn.model_selection")
    tr_x, dv_x, tr_y, dv_y = selection.train_test_split(
        examples.texts,
        examples.labels,
        test_size=dev_fraction,
        random_state=seed,
        stratify=examples.labels,
    )
    return Examples(list(tr_x), list(tr_y)), Examples(list(dv_x), list(dv_y))
