import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { isJobName, jobs, type JobName, type QueueName } from "#core/jobs/catalog";
import { AppError, fieldErrorsFromIssues } from "#core/errors";
import { errorFields, type Logger } from "#core/log";
import { describeError, stackFrames } from "#core/redact";
import type { NodeDb } from "#db/client-node";
import type { Enqueue } from "../queues/enqueue";
import type { JobContext, JobServices, Processor, Processors } from "../processors/types";
import type { ErrorReporter } from "../sentry";

export interface RunnerDeps {
  processors: Partial<Processors>;
  log: Logger;
  db: NodeDb;
  enqueue: Enqueue;
  services: JobServices;
  /** Told of each job's final failed attempt (Sentry when SENTRY_DSN is set). */
  reporter: ErrorReporter;
}

const neverAborted = new AbortController().signal;

/**
 * The boundary every job crosses before a processor sees it: the payload is re-validated
 * against the catalog (Redis holds whatever an older deploy or a Bull Board edit put
 * there), and failures a retry cannot fix become UnrecoverableError, the only error BullMQ
 * does not retry.
 */
export function createJobRunner(queue: QueueName, deps: RunnerDeps) {
  // Three declared parameters: BullMQ only passes the abort signal to processors whose
  // `length` is at least 3.
  return async function runJob(job: Job, token?: string, signal?: AbortSignal): Promise<unknown> {
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const log = deps.log.child({ jobId: job.id, jobName: job.name, queue, attempt, maxAttempts });
    const failedJob = { id: job.id ?? "", name: job.name, queue, attempt, maxAttempts };
    // Refusals before the processor runs are final: UnrecoverableError is never retried.
    const refused = (error: UnrecoverableError) => {
      deps.reporter.jobFailed(failedJob, error, "permanent");
      return error;
    };

    if (!isJobName(job.name) || jobs[job.name].queue !== queue) {
      log.error("job has no catalog entry on this queue");
      throw refused(new UnrecoverableError(`Unknown job "${job.name}" on queue ${queue}.`));
    }
    const name: JobName = job.name;
    const processor = deps.processors[name] as Processor<JobName> | undefined;
    if (!processor) {
      // Only reachable when a queue runs some of its jobs' processors but not this one's.
      log.error("no processor registered for job");
      throw refused(new UnrecoverableError(`No processor is registered for "${name}".`));
    }

    const parsed = jobs[name].payload.safeParse(job.data);
    if (!parsed.success) {
      const fields = fieldErrorsFromIssues("payload", parsed.error.issues);
      log.error("job payload invalid", { errors: fields });
      throw refused(new UnrecoverableError(`Invalid payload: ${fields.map((f) => `${f.path} ${f.message}`).join("; ")}`));
    }

    const ctx: JobContext = {
      job: { id: job.id ?? "", name, queue, attempt, maxAttempts, enqueuedAt: job.timestamp },
      log,
      db: deps.db,
      enqueue: deps.enqueue,
      signal: signal ?? neverAborted,
      services: deps.services,
      now: () => new Date(),
      async defer(delayMs, reason) {
        await job.moveToDelayed(Date.now() + Math.max(1, Math.round(delayMs)), token);
        log.debug("job deferred", { delayMs: Math.round(delayMs), reason });
        deps.services.metrics.inc("autoecom_jobs_deferred_total", { queue, job: name, reason });
        throw new DelayedError(reason);
      },
      async progress(value) {
        await job.updateProgress(value);
      },
    };
    const started = performance.now();
    const observe = (outcome: string) => deps.services.metrics.observeJob({ queue, job: name, outcome }, (performance.now() - started) / 1000);
    log.info("job started");
    try {
      const result = await processor(parsed.data, ctx);
      log.info("job completed", { durationMs: Math.round(performance.now() - started) });
      observe("completed");
      return result;
    } catch (error) {
      // Not a failure: the job was moved back to delayed and keeps its attempt.
      if (error instanceof DelayedError) {
        observe("deferred");
        throw error;
      }
      observe("failed");
      const permanent = error instanceof UnrecoverableError || (error instanceof AppError && !error.retryable);
      const willRetry = !permanent && attempt < maxAttempts;
      (willRetry ? log.warn : log.error)("job failed", {
        durationMs: Math.round(performance.now() - started),
        willRetry,
        ...(error instanceof AppError ? { code: error.code } : {}),
        ...errorFields(error),
      });
      // Only the last attempt: a retry that succeeds needs no one's attention.
      if (!willRetry) deps.reporter.jobFailed(failedJob, error, permanent ? "permanent" : "attempts_exhausted");
      if (error instanceof AppError && !error.retryable) {
        throw new UnrecoverableError(`${error.code}: ${describeError(error)}`);
      }
      throw described(error);
    }
  };
}

/**
 * What BullMQ stores as failedReason and stacktrace (Bull Board shows both): the described error.
 * The name is kept because BullMQ recognises UnrecoverableError and its other control errors by
 * name as well as by class.
 */
function described(error: unknown): Error {
  const safe = new Error(describeError(error));
  if (error instanceof Error) {
    safe.name = error.name;
    safe.stack = `${error.name}: ${safe.message}\n${stackFrames(error) ?? ""}`;
  }
  return safe;
}
