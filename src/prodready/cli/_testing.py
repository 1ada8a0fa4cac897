"""``prodready testing``: test doubles to run prodready without real models.

``judge-server`` serves :class:`prodready.testing.ScriptedJudge` on
:class:`prodready.testing.ScriptedModelServer`, so ``prodready eval run`` can use judges whose
verdicts a rules file decides.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="testing",
    help="Test doubles: run suites with judges whose verdicts you script.",
    no_args_is_help=True,
)


@app.command("judge-server")
def judge_server(
    rules: Annotated[
        Path, typer.Argument(help="YAML rules: default and rules (see docs/judges.md).")
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65_535, help="Port (0: a free one).")] = 8008,
    model: Annotated[
        str, typer.Option(help="The provider:model to set as PRODREADY_JUDGE_MODEL.")
    ] = "scripted:judge",
) -> None:
    """Serve a scripted judge model: an OpenAI-compatible endpoint answering judge prompts."""
    from prodready.cli._render import fail
    from prodready.models import JUDGE_BASE_URL_ENV, JUDGE_MODEL_ENV, parse_model
    from prodready.testing import JudgeRulesError, ScriptedJudge, ScriptedModelServer

    try:
        judge = ScriptedJudge.from_file(rules)
        ref = parse_model(model)
    except (JudgeRulesError, ValueError) as exc:
        fail(2, str(exc))
    server = ScriptedModelServer(judge, host=host, port=port, model=ref.name)
    try:
        server.start()
    except OSError as exc:
        fail(2, f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    count = len(judge.rules)
    typer.echo(
        f"judge server on {server.base_url}: {count} rule{'' if count == 1 else 's'} from "
        f"{rules}, default {judge.default.verdict}; Ctrl-C stops it\n"
        f"export {JUDGE_MODEL_ENV}={ref}\n"
        f"export {JUDGE_BASE_URL_ENV}={server.base_url}"
    )
    _wait_for_stop()
    server.stop()


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM (a CI job's or ``kill``'s way of stopping a server)."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
