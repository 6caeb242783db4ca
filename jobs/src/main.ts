import { createLogger, errorFields } from "#core/log";
import { EnvError, loadJobsEnv, type JobsEnv } from "./env";
import { createErrorReporter } from "./sentry";
import { startJobs } from "./start";

/**
 * CLI entry (`npm run dev:jobs`, or `serve` in the bundle `dist/jobs/entrypoint.js`): config, boot, and the signals
 * Docker sends. Everything else lives in startJobs so it can run in-process too.
 */

let env: JobsEnv;
try {
  env = loadJobsEnv();
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const log = createLogger({ service: "jobs" }, env.logLevel);
// Made here rather than in startJobs, so a failed start and a crash are reported too (Sentry, when SENTRY_DSN is set).
const reporter = await createErrorReporter(env);
const running = await startJobs(env, { log, reporter }).catch(async (error: unknown) => {
  log.error("jobs container failed to start", errorFields(error));
  reporter.crashed("startup", error);
  await reporter.close();
  process.exit(1);
});

let stopping = false;
function stop(reason: string, exitCode: number): void {
  if (stopping) {
    // A second Ctrl-C (or docker kill after SIGTERM) means "now".
    log.warn("forced exit", { reason });
    process.exit(1);
  }
  stopping = true;
  log.info("stopping", { reason });
  running
    .close()
    .then(() => reporter.close())
    .then(
      () => process.exit(exitCode),
      (error: unknown) => {
        log.error("shutdown failed", errorFields(error));
        process.exit(1);
      },
    );
}

process.on("SIGTERM", () => stop("SIGTERM", 0));
process.on("SIGINT", () => stop("SIGINT", 0));
// State after an uncaught exception is unknown: drain what can be drained, then exit non-zero.
process.on("uncaughtException", (error) => {
  log.error("uncaught exception", errorFields(error));
  reporter.crashed("uncaughtException", error);
  stop("uncaughtException", 1);
});
process.on("unhandledRejection", (reason) => {
  log.error("unhandled rejection", errorFields(reason));
  reporter.crashed("unhandledRejection", reason);
  stop("unhandledRejection", 1);
});
