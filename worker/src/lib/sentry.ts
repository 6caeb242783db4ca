import type { Context } from "hono";
import { routePath } from "hono/route";
import { collectNothing, scrubEvent } from "#core/error-report";
import type { AppEnv } from "./types";

type SentryContext = Parameters<typeof import("@sentry/cloudflare/request").wrapRequestHandler>[0]["context"];

export interface ServerErrorReport {
  error: unknown;
  status: number;
  /** AppError's code (`internal`, `unavailable`, `bad_environment`, …). */
  code: string;
}

/**
 * Where the report goes. The parsed configuration when there is one; when the configuration was
 * refused (`bad_environment`, no services) the raw binding, because that refusal is what most
 * needs reporting and the DSN itself is rarely what is wrong.
 */
function reportSettings(c: Context<AppEnv>): { dsn: string; environment: string } | null {
  const config = c.get("services")?.config;
  if (config) return config.SENTRY_DSN ? { dsn: config.SENTRY_DSN, environment: config.APP_ENV } : null;
  const dsn = c.env?.SENTRY_DSN;
  return dsn && URL.canParse(dsn) ? { dsn, environment: c.env.APP_ENV ?? "unknown" } : null;
}

/**
 * An outage turns every request of a route into the same 5xx (QStash down: every ML notification
 * answers 503). One report per route, status, code and error name per isolate and minute says it
 * as well, without a Sentry call (and a client) per failed request. Bounded: routes × codes.
 */
const repeatWindowMs = 60_000;
const lastReported = new Map<string, number>();

function isRepeat(key: string): boolean {
  const now = Date.now();
  const last = lastReported.get(key);
  if (last !== undefined && now - last < repeatWindowMs) return true;
  lastReported.set(key, now);
  return false;
}

/**
 * Sends a 5xx answer's error to Sentry when SENTRY_DSN is set; nothing otherwise.
 *
 * Runs on the error path only (from `app.onError`): a request answered below 500 never reaches the
 * SDK, which is loaded on first use, so the webhook hot path and every other success pay nothing.
 * `withSentry` would init the SDK, fork a scope and flush on every request, and Hono's `onError`
 * hides errors from it anyway. The SDK sees a stand-in request (method and route pattern, no query,
 * headers or body); `scrubEvent` is the second line. Sending happens in `waitUntil`, after the answer.
 */
export function reportServerError(c: Context<AppEnv>, report: ServerErrorReport): void {
  const settings = reportSettings(c);
  if (!settings) return;
  const route = routePath(c, -1) || "unmatched";
  const errorName = report.error instanceof Error ? report.error.name : typeof report.error;
  if (isRepeat(`${settings.dsn} ${c.req.method} ${route} ${report.status} ${report.code} ${errorName}`)) return;
  const tags = { request_id: c.get("requestId") ?? "none", method: c.req.method, route, status: String(report.status), code: report.code };
  let context: SentryContext;
  try {
    // Hono's type of the same workerd object.
    context = c.executionCtx as SentryContext;
  } catch {
    // Only app.request() without one (tests) lacks it: the SDK then has no waitUntil to send in, and sends nothing.
    context = undefined;
  }
  const sending = import("@sentry/cloudflare/request").then(({ wrapRequestHandler }) =>
    wrapRequestHandler(
      {
        options: {
          dsn: settings.dsn,
          environment: settings.environment,
          // One client per report: the tags live in this call's beforeSend, and a refused
          // configuration may still be the isolate's first. Only 5xx answers pay for it.
          cacheClient: false,
          dataCollection: collectNothing,
          defaultIntegrations: false,
          integrations: [],
          beforeSend: (event, hint) => scrubEvent({ ...event, tags: { ...event.tags, ...tags } }, hint.originalException),
          // No tracesSampleRate, so no traces; should one be set, "static" keeps this guard in force.
          traceLifecycle: "static",
          beforeSendTransaction: () => null,
          beforeBreadcrumb: () => null,
        },
        request: new Request(new URL(route.startsWith("/") ? route : "/", c.req.url), { method: c.req.method }),
        context,
        captureErrors: true,
      },
      () => {
        // Thrown inside the wrapper so the SDK captures it as the request's unhandled error, then rethrows it.
        throw report.error instanceof Error ? report.error : new Error(String(report.error));
      },
    ),
  );
  const settled = sending.then(
    () => undefined,
    () => undefined,
  );
  if (context) context.waitUntil(settled);
}
