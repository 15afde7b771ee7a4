/**
 * Traces across hops (issue 23, docs/operations.md "Tracing"): the caller's
 * `CTP <TYPE>` span of kind CLIENT, the host's of kind SERVER, joined by the
 * W3C `traceparent` a START, STOP or COMMAND carries (traceparent.ts).
 *
 * Through `@opentelemetry/api`, an optional peer dependency, loaded once at
 * module init with `require` (a static import of a missing package cannot be
 * caught; no top-level await). Without it, or with it but no SDK registered
 * (the global provider has no delegate), every door here returns at once: no
 * span, no frame carries `traceparent`, no context is entered. No promise,
 * no await, no closure per request.
 */
import { createRequire } from 'node:module';
import type * as Api from '@opentelemetry/api';
import { ReturnCode, type CtpRequestMessage } from '../base/messages.js';
import type { CtpControlMessage } from '../base/messages.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

/** The tracer's name (the instrumentation scope of every span). */
export const TRACER_NAME = 'ctp-router';

const api: typeof Api | undefined = load();

function load(): typeof Api | undefined {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as typeof Api;
  } catch {
    // Not installed (or broken): tracing is off.
    return undefined;
  }
}

// One options object per kind, not one per request: the attributes are set
// once a span records (so no object is made for a span that does not).
const CLIENT: Api.SpanOptions = { kind: api?.SpanKind.CLIENT };
const SERVER: Api.SpanOptions = { kind: api?.SpanKind.SERVER };

function attributesOf(msg: CtpControlMessage): Api.Attributes {
  return { 'ctp.node': msg.node, 'ctp.app': msg.app };
}

const SPAN_NAMES: Readonly<Record<string, string>> = {
  START: 'CTP START',
  STOP: 'CTP STOP',
  COMMAND: 'CTP COMMAND',
};

let provider: Api.TracerProvider | undefined;
let tracer: Api.Tracer | undefined;

/**
 * The registered SDK's tracer, or `undefined` when no SDK is registered (the
 * common case, a global lookup and a call: no no-op span is made). The API's
 * global provider is a proxy whose delegate the SDK's registration sets; a
 * new proxy replaces it after `trace.disable()`, so the tracer is fetched
 * again then (one of the old provider would keep recording into it).
 */
function currentTracer(a: typeof Api): Api.Tracer | undefined {
  const p = a.trace.getTracerProvider();
  if (p !== provider) {
    provider = p;
    tracer = undefined;
  }
  if (tracer === undefined) {
    const proxy = p as Partial<Api.ProxyTracerProvider>;
    tracer =
      typeof proxy.getDelegateTracer === 'function'
        ? proxy.getDelegateTracer(TRACER_NAME)
        : p.getTracer(TRACER_NAME);
  }
  return tracer;
}

/**
 * A caller's CLIENT span for one request: ended once with its result. (An
 * interface: no OpenTelemetry type reaches the package's declarations.)
 */
export interface CtpClientTrace {
  /** The request's result is known: `ctp.code`, an error status unless SUCCESS, the end. */
  end(code: string, reason: string | undefined): void;
}

/**
 * The caller's door, before a request is sent: for a START, STOP or
 * COMMAND with a tracer, start its CLIENT span (child of the active
 * context), set the frame's `traceparent` and return the span, which the
 * request ends with its outcome (requests.ts `CtpRequest.settled`, `failed`).
 * Otherwise `undefined`.
 */
export function traceRequest(msg: CtpRequestMessage): CtpClientTrace | undefined {
  if (api === undefined) return undefined;
  const name = SPAN_NAMES[msg.t];
  if (name === undefined) return undefined;
  const t = currentTracer(api);
  if (t === undefined) return undefined;
  const control = msg as CtpControlMessage;
  const span = t.startSpan(name, CLIENT);
  const sc = span.spanContext();
  if (!api.isSpanContextValid(sc)) return undefined;
  control.traceparent = formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags);
  if (span.isRecording()) span.setAttributes(attributesOf(control));
  return new ClientTrace(span);
}

/** A CLIENT span, ended once. */
class ClientTrace implements CtpClientTrace {
  constructor(private readonly span: Api.Span) {}

  end(code: string, reason: string | undefined): void {
    endSpan(this.span, code, reason);
  }
}

/** `ctp.code`, an error status unless SUCCESS, and the end. */
function endSpan(span: Api.Span, code: string, reason: string | undefined): void {
  span.setAttribute('ctp.code', code);
  if (code !== ReturnCode.SUCCESS)
    span.setStatus({ code: (api as typeof Api).SpanStatusCode.ERROR, message: reason ?? code });
  span.end();
}

/**
 * A host's SERVER span for one open control request: the context its
 * handler (or `onReceived`) runs in, and the end once the request ends.
 * (An interface: no OpenTelemetry type reaches the package's declarations,
 * which type-check without `@opentelemetry/api` installed.)
 */
export interface CtpServerTrace {
  /** `fn.call(self, a, b)` inside the span's context. */
  run<S, A, B, R>(fn: (this: S, a: A, b: B) => R, self: S, a: A, b: B): R;
  /** The host sent its RESPONSE with `code`. */
  answered(code: string, reason: string | undefined): void;
  /**
   * The open request ended (`why`: open-request.ts `CtpOpenEnd`); unless it
   * was answered, the span ends in error: `failed` answered ERROR
   * `host-callback-failed`, any other end sent nothing.
   */
  ended(why: string | undefined): void;
}

class ServerTrace implements CtpServerTrace {
  private open = true;

  constructor(
    private readonly span: Api.Span,
    private readonly ctx: Api.Context,
  ) {}

  run<S, A, B, R>(fn: (this: S, a: A, b: B) => R, self: S, a: A, b: B): R {
    return (api as typeof Api).context.with(this.ctx, fn, self, a, b);
  }

  answered(code: string, reason: string | undefined): void {
    if (!this.open) return;
    this.open = false;
    endSpan(this.span, code, reason);
  }

  ended(why: string | undefined): void {
    if (!this.open) return;
    this.open = false;
    this.span.setAttribute('ctp.end', why ?? 'unknown');
    if (why === 'failed') endSpan(this.span, ReturnCode.ERROR, 'host-callback-failed');
    else {
      this.span.setStatus({ code: (api as typeof Api).SpanStatusCode.ERROR, message: why });
      this.span.end();
    }
  }
}

/**
 * The host's door, when a control request opens: its SERVER span, child of
 * the span its `traceparent` names (a root span without one), or
 * `undefined` when there is no tracer.
 */
export function traceServer(msg: CtpControlMessage): CtpServerTrace | undefined {
  if (api === undefined) return undefined;
  const span = serverSpan(api, msg);
  if (span === undefined) return undefined;
  return new ServerTrace(span.span, span.ctx);
}

/** The host answered a control request at once, without opening it (NOT_ASSIGNED, REJECTED). */
export function traceAnswered(msg: CtpControlMessage, code: string): void {
  if (api === undefined) return;
  const span = serverSpan(api, msg);
  if (span !== undefined) endSpan(span.span, code, undefined);
}

function serverSpan(
  a: typeof Api,
  msg: CtpControlMessage,
): { span: Api.Span; ctx: Api.Context } | undefined {
  const t = currentTracer(a);
  if (t === undefined) return undefined;
  const p = msg.traceparent === undefined ? undefined : parseTraceparent(msg.traceparent);
  // The caller's span, not whatever context the transport's callback runs in.
  let parent = a.ROOT_CONTEXT;
  if (p !== undefined)
    parent = a.trace.setSpanContext(parent, {
      traceId: p.traceId,
      spanId: p.spanId,
      traceFlags: p.traceFlags,
      isRemote: true,
    });
  const span = t.startSpan(SPAN_NAMES[msg.t] as string, SERVER, parent);
  if (!a.isSpanContextValid(span.spanContext())) return undefined;
  if (span.isRecording()) span.setAttributes(attributesOf(msg));
  return { span, ctx: a.trace.setSpan(parent, span) };
}
