"""The pipeline's counters are OpenTelemetry metrics, for whatever MeterProvider the app runs."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
import prodready
from prodready.store import Store

reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

class Refusing(Store):
    def write_spans(self, records):
        if any(r.name == "bad" for r in records):
            raise ValueError("refused")
        return super().write_spans(records)

prodready.configure(store=Refusing("sqlite://"), batch_size=1, flush_interval=0.01)
for name in ("a", "b", "bad"):
    with prodready.span(name):
        pass
prodready.flush()
out = {}
for rm in reader.get_metrics_data().resource_metrics:
    for sm in rm.scope_metrics:
        for m in sm.metrics:
            for p in m.data.data_points:
                out[m.name + str(sorted(p.attributes.items()))] = p.value
print(json.dumps(out))
"""


def test_written_and_dropped_spans_are_exported_as_metrics() -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    values = json.loads(run.stdout.strip().splitlines()[-1])
    assert values["prodready.tracing.spans_written[]"] == 2
    assert values["prodready.tracing.spans_dropped[('reason', 'rejected')]"] == 1
