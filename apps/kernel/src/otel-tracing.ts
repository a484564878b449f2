/**
 * The runtime's tracing port implemented with the OpenTelemetry SDK: spans are batched and
 * exported over OTLP/HTTP (JSON) to `otel_endpoint` + `/v1/traces`. Built only when an
 * endpoint is configured; otherwise the runtime gets no tracer and makes no span.
 *
 * The provider is private to one kernel (never registered as the global one), and parents are
 * passed explicitly, so kernels and tests in one process never mix their traces.
 *
 * Exporting never holds up a run: `end()` queues the span and the batch processor exports in
 * the background. A failed export is logged once as a warning (and again after the endpoint
 * answered in between); its spans are dropped. `shutdown` exports what is queued, then stops.
 */

import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { Logger } from "@oxios/core";
import type { SpanAttributes, StartSpanOptions, Tracer, TraceSpan } from "@oxios/runtime";

export interface OtelTracingOptions {
  /** The OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  headers?: Readonly<Record<string, string>>;
  serviceVersion: string;
  logger: Logger;
  /** How long one export may take before it is given up. Default 5000 ms. */
  exportTimeoutMs?: number;
}

/** The kernel's tracer and the exporter behind it. */
export class OtelTracing implements Tracer {
  readonly #provider: TracerProvider;
  readonly #tracer: ReturnType<TracerProvider["getTracer"]>;
  readonly #logger: Logger;

  constructor(options: OtelTracingOptions) {
    this.#logger = options.logger;
    const exporter = new WarningExporter(
      new OTLPTraceExporter({
        url: tracesUrl(options.endpoint),
        headers: { ...options.headers },
        timeoutMillis: options.exportTimeoutMs ?? 5_000,
      }),
      withoutCredentials(options.endpoint),
      options.logger,
    );
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: "oxios",
        [ATTR_SERVICE_VERSION]: options.serviceVersion,
      }),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    this.#tracer = this.#provider.getTracer("@oxios/kernel", options.serviceVersion);
  }

  startSpan(name: string, options: StartSpanOptions = {}): TraceSpan {
    const parent =
      options.parent === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
            traceId: options.parent.traceId,
            spanId: options.parent.spanId,
            traceFlags: TraceFlags.SAMPLED,
            isRemote: false,
          });
    const span = this.#tracer.startSpan(
      name,
      {
        kind: options.kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL,
        attributes: defined(options.attributes ?? {}),
      },
      parent,
    );
    return new OtelSpan(span);
  }

  /** Exports every span ended so far. Resolves when the export settled (a failure is logged, not thrown). */
  async flush(): Promise<void> {
    try {
      await this.#provider.forceFlush();
    } catch (error) {
      this.#logger.warn("traces were not exported", { error: errorMessage(error) });
    }
  }

  /**
   * Exports what is queued, then stops the exporter; spans ended later are dropped. An export
   * that fails here (the endpoint is down) is logged, not thrown: it must not fail the stop.
   */
  async shutdown(): Promise<void> {
    try {
      await this.#provider.shutdown();
    } catch (error) {
      this.#logger.warn("the trace exporter stopped with spans it could not export", { error: errorMessage(error) });
    }
  }
}

class OtelSpan implements TraceSpan {
  readonly #span: Span;
  readonly context: { traceId: string; spanId: string };

  constructor(span: Span) {
    this.#span = span;
    const { traceId, spanId } = span.spanContext();
    this.context = { traceId, spanId };
  }

  setAttributes(attributes: SpanAttributes): void {
    this.#span.setAttributes(defined(attributes));
  }

  fail(code: string): void {
    this.#span.setAttribute("error.type", code);
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }

  end(): void {
    if (this.#span.isRecording()) this.#span.end();
  }
}

/** The exporter, with a warning in the kernel's log when an export fails. */
class WarningExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #endpoint: string;
  readonly #logger: Logger;
  #failing = false;

  constructor(inner: SpanExporter, endpoint: string, logger: Logger) {
    this.#inner = inner;
    this.#endpoint = endpoint;
    this.#logger = logger;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.#failing = false;
      else if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn("traces could not be exported; spans are dropped until the endpoint answers", {
          endpoint: this.#endpoint,
          spans: spans.length,
          error: result.error?.message ?? "unknown",
        });
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The traces URL of an OTLP/HTTP base endpoint, as the SDK derives it from `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

/** An endpoint as logged: a user name or password in it left out. */
export function withoutCredentials(endpoint: string): string {
  const url = new URL(endpoint);
  url.username = "";
  url.password = "";
  return url.href;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defined(attributes: SpanAttributes): Attributes {
  const kept: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) kept[name] = Array.isArray(value) ? [...value] : (value as string | number | boolean);
  }
  return kept;
}
