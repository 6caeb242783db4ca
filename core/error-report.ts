import { describeError, redactText } from "./redact";

/**
 * What both runtimes let through to the error tracker (Sentry), applied in its `beforeSend`: the
 * tracker's staff and integrations read it, so the rules of `redact.ts` hold there too. Typed by
 * shape rather than by an SDK's types, so core/ stays free of either runtime's SDK.
 */
export interface ReportedEvent {
  message?: string;
  logentry?: { message?: string; params?: unknown[] };
  exception?: { values?: Array<{ value?: string; stacktrace?: { frames?: Array<{ vars?: unknown }> } }> };
  tags?: Record<string, unknown>;
  contexts?: Record<string, unknown>;
  request?: unknown;
  user?: unknown;
  breadcrumbs?: unknown;
  extra?: unknown;
}

/**
 * The SDKs' `dataCollection` option (Sentry JS v10+, where it replaced `sendDefaultPii`): their
 * defaults collect users, cookies, headers, query strings, bodies and frame variables. Nothing of
 * the kind here; `scrubEvent` is the second line should an SDK ignore a setting.
 */
export const collectNothing = {
  userInfo: false,
  cookies: false,
  httpHeaders: false,
  httpBodies: [],
  urlQueryParams: false,
  graphQL: { document: false, variables: false },
  genAI: { inputs: false, outputs: false },
  mcp: { inputs: false, outputs: false },
  databaseQueryData: false,
  queues: false,
  stackFrameVariables: false,
  frameContextLines: 0,
};

function redactStrings(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item)]));
  return value;
}

/**
 * Drops whatever an SDK gathers on its own and could carry a secret or a person: the request
 * (URL with its query, headers with Authorization and cookies, body), the user, breadcrumbs
 * (console lines and fetched URLs), extra data and frame variables. The error's text becomes
 * `describeError`'s (a failed query's SQL and parameters never leave), and every other string
 * passes through `redactText`. `original` is the thrown value (the SDK's `hint.originalException`).
 */
export function scrubEvent<E extends ReportedEvent>(event: E, original?: unknown): E {
  delete event.request;
  delete event.user;
  delete event.breadcrumbs;
  delete event.extra;
  if (event.message !== undefined) event.message = redactText(event.message);
  if (event.logentry) event.logentry = { ...(event.logentry.message === undefined ? {} : { message: redactText(event.logentry.message) }) };
  const values = event.exception?.values ?? [];
  values.forEach((exception, index) => {
    // The last value is the thrown error itself; earlier ones are its causes (when an SDK links them).
    if (index === values.length - 1 && original !== undefined) exception.value = describeError(original);
    else if (exception.value !== undefined) exception.value = redactText(exception.value);
    for (const frame of exception.stacktrace?.frames ?? []) delete frame.vars;
  });
  if (event.tags) event.tags = redactStrings(event.tags) as Record<string, unknown>;
  // The trace context holds the SDK's own random ids, which look like secrets to redactText.
  if (event.contexts) event.contexts = Object.fromEntries(Object.entries(event.contexts).map(([name, context]) => [name, name === "trace" ? context : redactStrings(context)]));
  return event;
}
