"""``prodready monitor`` and ``prodready alerts``: online scoring and alert rules, once.

The server runs both in the background; these commands do the same work on demand, with the
same files: ``prodready monitor score --since 1h`` scores stored traces as the online worker
would (skipping those already scored), ``prodready alerts check`` evaluates every rule once
and calls the webhooks of what fired or resolved.

Exit codes: 0 done; 2 bad input (an unreadable or invalid file, a bad ``--since``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prodready.cli._store import open_store

if TYPE_CHECKING:
    from rich.table import Table

    from prodready.monitoring import AlertEvent, AlertRule, AlertsConfig, OnlineConfig
    from prodready.store import Store

monitor_app = typer.Typer(
    name="monitor",
    help="Online monitoring: score stored production traces with the online configuration.",
    no_args_is_help=True,
)
alerts_app = typer.Typer(
    name="alerts",
    help="Alert rules: list them, see what fired and resolved, evaluate them now.",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RulesFile = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Alert rules file (YAML): its rules are saved and its webhooks called "
        "[default: $PRODREADY_ALERT_RULES].",
        show_default=False,
    ),
]
_PAGE = 1000


@monitor_app.command("score")
def score(
    ctx: typer.Context,
    since: Annotated[
        str, typer.Option(help="Score traces started within this long (30m, 1h, 2d).")
    ] = "1h",
    config: Annotated[
        Path | None,
        typer.Option(
            help="Online scoring file (online.yaml) [default: $PRODREADY_ONLINE_CONFIG, else "
            "the default scorers].",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Score stored traces as the server's online worker does (already scored ones are kept)."""
    from prodready.cli._render import fail, stdout
    from prodready.monitoring import OnlineConfigError, OnlineScorer
    from prodready.store import TraceQuery
    from prodready.store.filters import parse_duration

    try:
        window = parse_duration(since)
    except ValueError as exc:
        fail(2, f"--since: {exc}")
    try:
        online = _online_config(config)
    except OnlineConfigError as exc:
        fail(2, str(exc))
    with open_store(ctx) as store:
        try:
            scorer = OnlineScorer(store, online)
        except OnlineConfigError as exc:
            fail(2, str(exc))
        after = time.time_ns() - window
        offset = 0
        while True:
            page = store.list_traces(TraceQuery(start_after_ns=after, limit=_PAGE, offset=offset))
            if not page:
                break
            scorer.score_traces([t.trace_id for t in page])
            offset += len(page)
        scorer.close()
    s = scorer.stats
    summary = {"traces_seen": offset, "traces_scored": s.traces_scored,
               "scores_written": s.scores_written, "sampled_out": s.sampled_out,
               "judge_calls": s.judge_calls, "judge_spend_usd": s.judge_spend_usd,
               "judge_skipped_spend_limit": s.judge_skipped_spend,
               "spend_limit_reached": s.spend_limit_reached, "errors": s.errors,
               "by_name": s.by_name}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    out = stdout()
    out.print(f"{offset} traces in the last {since}: {s.traces_scored} scored, "
              f"{s.scores_written} scores written, {s.sampled_out} sampled out")  # fmt: skip
    if s.judge_calls or s.judge_skipped_spend:
        limit = " (daily spend limit reached)" if s.spend_limit_reached else ""
        out.print(f"judges: {s.judge_calls} scorings, ${s.judge_spend_usd:.4f} today{limit}")


def _online_config(path: Path | None) -> OnlineConfig | None:
    from prodready.monitoring import load_online_config
    from prodready.monitoring._online import ONLINE_ENV

    chosen = path or (Path(os.environ[ONLINE_ENV]) if os.environ.get(ONLINE_ENV) else None)
    return load_online_config(chosen) if chosen is not None else None


@alerts_app.command("list")
def list_(ctx: typer.Context, rules: RulesFile = None, as_json: AsJson = False) -> None:
    """Alert rules (the file's, once saved, and the API's) with how many groups fire now."""
    from prodready.cli._render import print_listing
    from prodready.monitoring import list_rules
    from prodready.monitoring._alerts import firing_counts

    with open_store(ctx) as store:
        _sync(store, rules)
        found = list_rules(store)
        firing = firing_counts(store)
    print_listing(found, as_json=as_json, table=lambda rows: _rules_table(rows, firing),
                  noun="rule")  # fmt: skip


@alerts_app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    rule: Annotated[str | None, typer.Option(help="Only this rule's events.")] = None,
    as_json: AsJson = False,
) -> None:
    """Recorded firings and resolutions, newest first."""
    from prodready.cli._render import print_listing
    from prodready.monitoring import alert_history

    with open_store(ctx) as store:
        events = alert_history(store, limit, rule=rule)
    print_listing(events, as_json=as_json, table=_events_table, noun="event")


@alerts_app.command("check")
def check(ctx: typer.Context, rules: RulesFile = None, as_json: AsJson = False) -> None:
    """Evaluate every rule now; record and send what fired or resolved."""
    from prodready.cli._render import print_listing
    from prodready.monitoring import AlertEvaluator

    with open_store(ctx) as store:
        config = _sync(store, rules)
        evaluator = AlertEvaluator(store, config.webhooks if config is not None else ())
        events = evaluator.check()
    print_listing(events, as_json=as_json, table=_events_table, noun="event")


def _sync(store: Store, path: Path | None) -> AlertsConfig | None:
    from prodready.cli._render import fail
    from prodready.monitoring import RulesError, load_alerts_config, sync_rules
    from prodready.monitoring._rules import RULES_ENV

    chosen = path or (Path(os.environ[RULES_ENV]) if os.environ.get(RULES_ENV) else None)
    if chosen is None:
        return None
    try:
        config = load_alerts_config(chosen)
    except RulesError as exc:
        fail(2, str(exc))
    sync_rules(store, config.rules, source="file")
    return config


def _rules_table(rows: list[AlertRule], firing: dict[str, int]) -> Table:
    from rich.table import Table

    table = Table(box=None)
    for name in ("rule", "metric", "fires when", "window", "min", "by", "firing"):
        table.add_column(name)
    for r in rows:
        by = ",".join(r.group_by) or "-"
        table.add_row(r.name, r.metric, f"{r.op} {r.threshold:g}", r.window, str(r.min_count),
                      by, str(firing.get(r.name, 0)))  # fmt: skip
    return table


def _events_table(rows: list[AlertEvent]) -> Table:
    from rich.table import Table

    from prodready.cli._render import format_time

    table = Table(box=None)
    for name in ("at", "event", "rule", "metric", "value", "count", "group"):
        table.add_column(name)
    for e in rows:
        value = "-" if e.value is None else f"{e.value:.4g}"
        group = ", ".join(f"{k}={v}" for k, v in e.group.items()) or "-"
        style = "red" if e.kind == "firing" else "green"
        table.add_row(format_time(e.at_ns), f"[{style}]{e.kind}[/]", e.rule, e.metric, value,
                      str(e.count), group)  # fmt: skip
    return table
