"""The support agent's evaluation suite.

Run it either way, from any directory:

    prodready eval run examples/evaluate/suite.py   # the CLI: reports, subsets, exit codes
    python examples/evaluate/suite.py               # the same suite, from Python

Both read ``cases.jsonl`` and ``criteria.yaml`` beside this file, run the agent on every
case with tracing, store the run (``.prodready/prodready.db``), print the gate and exit 0
when it passes, 1 when the criteria are not met.
"""

from __future__ import annotations

from agent import answer

from prodready.evaluation import Suite
from prodready.evaluation.scorers import duplicate_tool_calls, escalation, required_facts
from prodready.evaluation.suite import load_suite, suite


@suite
def support() -> Suite:
    return Suite(
        target=answer,
        dataset="cases.jsonl",
        scorers=[required_facts(), escalation(), duplicate_tool_calls(max=0)],
        criteria="criteria.yaml",
    )


if __name__ == "__main__":
    result = load_suite(__file__).run_sync()  # loaded by path: files read from this folder
    print(result)
    raise SystemExit(result.exit_code)
