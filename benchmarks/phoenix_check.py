"""What Arize Phoenix makes of prodready's spans: the quickstart, dual-exported into Phoenix.

Starts a Phoenix server on loopback (its working directory a scratch folder), runs
``examples/quickstart.py`` unchanged twice with dual export switched on by the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` variable, then reads every span back through Phoenix's REST
API and prints, per prodready kind, the span kind Phoenix assigned and whether its input,
output, documents, messages and token counts are filled:

- before: the outbound conventions switched off (``_outbound.outbound_attributes`` returns
  nothing), i.e. what dual export sent before: ``prodready.span.kind`` and prodready's keys;
- after: as prodready exports today.

Each run goes to its own Phoenix project (``OTEL_RESOURCE_ATTRIBUTES=
openinference.project.name=...``) and its own SQLite store. ``docs/conventions.md``
("Outbound: what other tools see") has the result of a run.

arize-phoenix cannot share prodready's dev venv: through pydantic-ai-slim[google] it needs
google-genai, which pins ``tenacity<9.2`` where prodready needs ``>=9.2``. So it lives in a
venv of its own, with prodready installed there too (pip warns about the tenacity pin; the
Phoenix server does not import google-genai):

    python3 -m venv /tmp/phx && /tmp/phx/bin/pip install arize-phoenix
    /tmp/phx/bin/pip install -e '.[otlp]'
    /tmp/phx/bin/python benchmarks/phoenix_check.py

Nothing leaves the machine: Phoenix listens on 127.0.0.1, its telemetry is off, and the
quickstart's only endpoint is that Phoenix.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart.py"

# The "before" run: the quickstart with the outbound mapping switched off.
WITHOUT_MAPPING = (
    "import runpy, sys\n"
    "from prodready.tracing import _outbound\n"
    "_outbound.outbound_attributes = lambda attributes, *, name: {}\n"
    "sys.argv = [sys.argv[1]]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_phoenix(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    log = (workdir / "phoenix.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "phoenix.server.main", "serve"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"Phoenix exited ({proc.returncode}); see {workdir / 'phoenix.log'}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"Phoenix did not answer on {url} within 120 s")


def run_quickstart(phoenix: str, project: str, workdir: Path, *, mapping: bool) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "OTEL_EXPORTER_OTLP_ENDPOINT": phoenix,
        "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        "PRODREADY_STORE_URL": f"sqlite:///{workdir / project}.db",
    }
    command = (
        [sys.executable, str(QUICKSTART)]
        if mapping
        else [sys.executable, "-c", WITHOUT_MAPPING, str(QUICKSTART)]
    )
    done = subprocess.run(
        command, check=False, env=env, cwd=workdir, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the quickstart failed:\n{done.stdout}\n{done.stderr}")


def phoenix_spans(phoenix: str, project: str, expected: int) -> list[dict[str, Any]]:
    import httpx
    from phoenix.client import Client

    client = Client(base_url=phoenix)
    deadline = time.monotonic() + 30
    while True:  # Phoenix ingests asynchronously: wait until every span is queryable
        try:
            spans = client.spans.get_spans(project_identifier=project, limit=10_000)
        except httpx.HTTPStatusError as exc:  # 404 until the project's first span is in
            if exc.response.status_code != 404 or time.monotonic() > deadline:
                raise
            spans = []
        if len(spans) >= expected or time.monotonic() > deadline:
            return [dict(s) for s in spans]
        time.sleep(0.5)


def filled(attributes: dict[str, Any], *prefixes: str) -> bool:
    return any(k.startswith(prefixes) and v not in (None, "") for k, v in attributes.items())


def summarize(spans: list[dict[str, Any]]) -> list[tuple[str, int, str, str, str, str, str, str]]:
    """One row per prodready kind: spans, Phoenix kinds, and how many have each field."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        by_kind[str(span["attributes"].get("prodready.span.kind"))].append(span)
    rows = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        n = len(group)
        phoenix_kinds = Counter(str(s["span_kind"]) for s in group)

        def count(*prefixes: str, group: list[dict[str, Any]] = group, n: int = n) -> str:
            k = sum(filled(s["attributes"], *prefixes) for s in group)
            return f"{k}/{n}" if k else "-"

        rows.append(
            (
                kind,
                n,
                ", ".join(f"{k} x{c}" if c != n else k for k, c in phoenix_kinds.most_common()),
                count("input.value"),
                count("output.value"),
                count("retrieval.documents."),
                count("llm.input_messages.", "llm.output_messages."),
                count("llm.token_count."),
            )
        )
    return rows


def table(title: str, spans: list[dict[str, Any]]) -> str:
    unknown = sum(1 for s in spans if s["span_kind"] == "UNKNOWN")
    lines = [
        f"{title}: {len(spans)} spans, {unknown} UNKNOWN to Phoenix",
        "",
        "| prodready kind | spans | Phoenix span kind | input | output | documents | messages "
        "| tokens |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summarize(spans):
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep Phoenix's working directory")
    args = parser.parse_args()
    try:
        import phoenix  # noqa: F401
    except ImportError:
        sys.exit("run this with a Python that has arize-phoenix: see this script's docstring")
    workdir = Path(tempfile.mkdtemp(prefix="phoenix-check-"))
    proc, url = start_phoenix(workdir)
    try:
        import phoenix as px

        print(
            f"Arize Phoenix {px.__version__} on {url}; quickstart: {QUICKSTART.relative_to(ROOT)}\n"
        )
        results = {}
        for project, mapping in (("before", False), ("after", True)):
            run_quickstart(url, project, workdir, mapping=mapping)
            results[project] = phoenix_spans(url, project, expected=35)
        print(table("Before (prodready.span.kind only)", results["before"]))
        print()
        print(table("After (outbound conventions)", results["after"]))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
