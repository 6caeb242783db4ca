import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { jobNamesOf, queueNames, type QueueName } from "#core/jobs/catalog";
import { errorFields } from "#core/log";
import { workerSettings } from "../queues/config";
import { throttledWarn } from "../util/throttle";
import { withTimeout } from "#core/timeout";
import { createJobRunner, type RunnerDeps } from "./run-job";

export interface StartWorkersOptions extends RunnerDeps {
  /** The consumer connection (maxRetriesPerRequest: null); BullMQ duplicates it for blocking reads. */
  connection: Redis;
  prefix: string;
}

export interface RunningWorkers {
  /** Queues that got a Worker, i.e. have at least one processor. */
  queues: QueueName[];
  /**
   * Stops fetching and waits for in-flight jobs. After `timeoutMs` the jobs' abort signals
   * fire and waiting stops; jobs still running are recovered by BullMQ's stalled check on
   * the next start (their lock expires) rather than lost.
   */
  close(timeoutMs: number): Promise<{ timedOut: boolean }>;
}

// After the drain deadline, how long processors get to react to their abort signal.
const abortGraceMs = 1_000;

/** Registers a Worker for each queue that has at least one processor, and only those. */
export function startWorkers(options: StartWorkersOptions): RunningWorkers {
  const { connection, prefix, log } = options;
  const warn = throttledWarn(log);
  const active = queueNames.filter((queue) => jobNamesOf(queue).some((name) => options.processors[name] !== undefined));

  const workers = active.map((queue) => {
    const settings = workerSettings[queue];
    const worker = new Worker(queue, createJobRunner(queue, options), {
      connection,
      prefix,
      concurrency: settings.concurrency,
      lockDuration: settings.lockDurationMs,
    });
    // BullMQ's production guide: an unhandled "error" event would crash the process.
    worker.on("error", (error) => warn(queue, "worker error", { queue, ...errorFields(error) }));
    worker.on("stalled", (jobId) => log.warn("job stalled; it will be retried", { queue, jobId }));
    return worker;
  });
  log.info("workers started", { queues: active, idle: queueNames.filter((q) => !active.includes(q)) });

  let closing: Promise<{ timedOut: boolean }> | undefined;
  return {
    queues: active,
    close(timeoutMs) {
      closing ??= (async () => {
        const drained = Promise.allSettled(workers.map((worker) => worker.close()));
        try {
          await withTimeout(drained, timeoutMs, "worker drain");
          return { timedOut: false };
        } catch {
          log.warn("shutdown timeout reached with jobs still running; aborting them", { timeoutMs });
          for (const worker of workers) worker.cancelAllJobs("shutdown timeout");
          await withTimeout(drained, abortGraceMs, "aborted jobs").catch(() => undefined);
          return { timedOut: true };
        }
      })();
      return closing;
    },
  };
}
