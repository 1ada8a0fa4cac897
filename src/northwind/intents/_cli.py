"""``northwind intents``: train the intent classifier and evaluate it on any CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from northwind.intents._data import TRAINING_SPLIT, CsvError, read_csv
from northwind.intents._model import (
    DEFAULT_DIR,
    ECE_BINS,
    IntentClassifier,
    MissingDependencyError,
    dev_split,
)

app = typer.Typer(
    name="intents",
    help="The intent classifier (BANKING77's 77 intents).",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@app.command()
def train(
    out: Annotated[
        Path, typer.Option(help="Directory (or .joblib file) the model is written to.")
    ] = DEFAULT_DIR,
    dev_fraction: Annotated[
        float,
        typer.Option(
            help="Share of the training split held out (stratified) to measure the model on; "
            "0 trains on everything and measures nothing.",
            min=0.0,
            max=0.9,
        ),
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the dev split and the model.")] = 0,
    embeddings: Annotated[
        bool,
        typer.Option(
            help="Add MiniLM sentence embeddings to the TF-IDF features (prodready's embed extra)."
        ),
    ] = True,
    calibrate: Annotated[
        bool,
        typer.Option(help="Fit a softmax temperature on a held-out tenth, then refit."),
    ] = True,
    data: Annotated[Path, typer.Option(help="Training CSV (text,category).")] = TRAINING_SPLIT,
) -> None:
    """Train on BANKING77's training split, measure on a held-out dev split, save the model."""
    try:
        examples = read_csv(data)
        if dev_fraction > 0:
            train_set, dev = dev_split(examples, dev_fraction=dev_fraction, seed=seed)
        else:
            train_set, dev = examples, None
        clf = IntentClassifier.train(
            train_set, embeddings=embeddings, calibrate=calibrate, seed=seed
        )
        path = clf.save(out)
    except CsvError as exc:
        raise _fail(str(exc)) from None
    except (MissingDependencyError, ValueError) as exc:
        raise _fail(str(exc)) from None
    features = "TF-IDF + MiniLM" if clf.uses_embeddings else "TF-IDF"
    typer.echo(
        f"trained on {len(train_set)} queries ({features}, temperature "
        f"{clf.temperature:.2f}) in {clf.train_seconds:.1f} s -> {path}"
    )
    if dev is not None:
        metrics = clf.evaluate(dev)
        cal = clf.calibration(dev)
        typer.echo(
            f"dev (n={metrics.n}): accuracy {metrics.accuracy:.4f}, "
            f"macro-F1 {metrics.macro_f1:.4f}, ECE ({ECE_BINS} bins) {cal.ece:.4f}"
        )


@app.command("eval")
def eval_(
    file: Annotated[Path, typer.Option(help="CSV with the columns text and category.")],
    model: Annotated[Path, typer.Option(help="Model directory or .joblib file.")] = DEFAULT_DIR,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {accuracy, macro_f1, n} as JSON.")
    ] = False,
) -> None:
    """Print the accuracy, macro-F1 and n of the trained model on a CSV."""
    try:
        examples = read_csv(file)
        clf = IntentClassifier.load(model)
    except (CsvError, FileNotFoundError, MissingDependencyError, ValueError) as exc:
        raise _fail(str(exc)) from None
    metrics = clf.evaluate(examples)
    if as_json:
        typer.echo(json.dumps(metrics.as_dict()))
    else:
        typer.echo(f"accuracy  {metrics.accuracy:.4f}")
        typer.echo(f"macro_f1  {metrics.macro_f1:.4f}")
        typer.echo(f"n         {metrics.n}")
