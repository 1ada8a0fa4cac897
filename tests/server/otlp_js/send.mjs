// Send one parent + child trace to an OTLP/HTTP endpoint with the official OpenTelemetry JS
// exporter (which speaks OTLP/JSON), then exit 0 if the export succeeded, 1 if it did not.
//
//   node send.mjs http://127.0.0.1:4318/v1/traces
//
// Prints {"traceId", "parentSpanId", "childSpanId"} as JSON on stdout for the caller to check.

import { context, trace, SpanStatusCode } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

const url = process.argv[2];
if (!url) {
  console.error("usage: node send.mjs <OTLP/HTTP traces URL>");
  process.exit(2);
}

// Spans are collected in memory first so the exporter's own result decides the exit code:
// a processor would only log a failed export.
const collected = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    "service.name": "otlp-js-client",
    "prodready.release": "js-agent@0.3.0",
  }),
  spanProcessors: [new SimpleSpanProcessor(collected)],
});
const tracer = provider.getTracer("prodready-tests");

const parent = tracer.startSpan("agent turn", {
  attributes: { "openinference.span.kind": "AGENT", "session.id": "js-session" },
});
const child = tracer.startSpan(
  "chat gpt-4o-mini",
  {
    kind: 2, // SpanKind.CLIENT
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 812,
      "gen_ai.request.temperature": 0.2,
      "gen_ai.response.finish_reasons": ["stop"],
      "prodready.cached": false,
    },
  },
  trace.setSpan(context.active(), parent),
);
child.addEvent("first token", { "latency.ms": 120 });
child.setStatus({ code: SpanStatusCode.OK });
child.end();
parent.setStatus({ code: SpanStatusCode.ERROR, message: "escalated" });
parent.end();
await provider.forceFlush();

const exporter = new OTLPTraceExporter({ url });
const result = await new Promise((resolve) => exporter.export(collected.getFinishedSpans(), resolve));
await exporter.shutdown();
if (result.code !== ExportResultCode.SUCCESS) {
  console.error(`export failed: ${result.error}`);
  process.exit(1);
}
console.log(
  JSON.stringify({
    traceId: parent.spanContext().traceId,
    parentSpanId: parent.spanContext().spanId,
    childSpanId: child.spanContext().spanId,
  }),
);
