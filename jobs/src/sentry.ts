import { collectNothing, scrubEvent } from "#core/error-report";
import type { QueueName } from "#core/jobs/catalog";
import type { JobsEnv } from "./env";

/** The job a report is about: names and counters only, never its payload. */
export interface FailedJob {
  id: string;
  name: string;
  queue: QueueName;
  attempt: number;
  maxAttempts: number;
}

/**
 * What the container tells the error tracker: a job that will not run again by itself, and a
 * crash. Retried attempts are not reported (the log has them, and a retry that succeeds needs no
 * one's attention).
 */
export interface ErrorReporter {
  /** The job's last attempt failed: `permanent` (not retryable) or `attempts_exhausted`. */
  jobFailed(job: FailedJob, error: unknown, reason: "permanent" | "attempts_exhausted"): void;
  crashed(kind: "uncaughtException" | "unhandledRejection" | "startup", error: unknown): void;
  /** Sends what is pending (bounded by `timeoutMs`) and releases the client. */
  close(timeoutMs?: number): Promise<void>;
}

const off: ErrorReporter = {
  jobFailed: () => undefined,
  crashed: () => undefined,
  close: async () => undefined,
};

/**
 * Sentry when SENTRY_DSN is set, else a reporter that does nothing. The SDK is imported only
 * then: loading it costs about 0.4 s of startup on this project's CI box.
 *
 * A client of our own rather than `Sentry.init`: no global state (tests start several containers
 * in one process), no default integrations (they would record outgoing HTTP URLs, console lines and
 * local variables, and install process handlers that race main.ts's drain), and no OpenTelemetry.
 * Every event goes through `scrubEvent` (core/error-report.ts).
 */
export async function createErrorReporter(env: Pick<JobsEnv, "sentryDsn" | "nodeEnv">): Promise<ErrorReporter> {
  if (!env.sentryDsn) return off;
  const Sentry = await import("@sentry/node");
  const client = new Sentry.NodeClient({
    dsn: env.sentryDsn,
    environment: env.nodeEnv,
    transport: Sentry.makeNodeTransport,
    stackParser: Sentry.defaultStackParser,
    integrations: [],
    dataCollection: collectNothing,
    // Instruments pg, ioredis and friends through diagnostics channels: spans and breadcrumbs we do not want.
    enableRuntimeChannelInjection: false,
    beforeSend: (event, hint) => scrubEvent(event, hint.originalException),
    traceLifecycle: "static",
    beforeSendTransaction: () => null,
    beforeBreadcrumb: () => null,
  });
  client.init();

  const capture = (error: unknown, tags: Record<string, string | number>, transaction: string) => {
    const scope = new Sentry.Scope();
    scope.setClient(client);
    scope.setTags(tags);
    scope.setTransactionName(transaction);
    scope.captureException(error);
  };
  return {
    jobFailed(job, error, reason) {
      capture(error, { job_name: job.name, job_id: job.id, queue: job.queue, attempt: job.attempt, max_attempts: job.maxAttempts, reason }, `job ${job.name}`);
    },
    crashed(kind, error) {
      capture(error, { crash: kind }, `jobs ${kind}`);
    },
    async close(timeoutMs = 2_000) {
      await client.close(timeoutMs);
    },
  };
}
