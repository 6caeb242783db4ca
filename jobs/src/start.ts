import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { createLogger, errorFields, type Logger } from "#core/log";
import { createNodeDb } from "#db/client-node";
import type { JobsEnv } from "./env";
import { processors as productionProcessors } from "./processors";
import type { Processors } from "./processors/types";
import { createEnqueue, type Producer } from "./queues/enqueue";
import { closeQueues, createQueues } from "./queues/registry";
import { closeRedis, createConsumerConnection, createProducerConnection, firstConnectAttempt } from "./redis";
import { startWorkers } from "./runtime/workers";
import { createAdminApp, createApp } from "./http/app";
import { withTimeout } from "#core/timeout";
import { buildJobServices } from "./runtime/services";
import { startSchedulers } from "./queues/schedulers";
import { createErrorReporter, type ErrorReporter } from "./sentry";

export interface StartJobsOptions {
  /** Defaults to the production map; tests and the dev orchestrator pass their own. */
  processors?: Partial<Processors>;
  log?: Logger;
  /** Overrides the HTTP body limit (bytes). */
  maxBodyBytes?: number;
  /** Register the recurring recovery jobs; default only with the production processors. */
  schedulers?: boolean;
  /** Where final job failures are reported. Default: made from SENTRY_DSN and closed by close(); a caller's own is left open. */
  reporter?: ErrorReporter;
}

export interface RunningJobs {
  /** Where the public listener (health, QStash ingress) listens: the real port when JOBS_PORT is 0. */
  url: string;
  /** Where Bull Board and /metrics listen: the real port when JOBS_ADMIN_PORT is 0. */
  adminUrl: string;
  /** Graceful stop; safe to call more than once. Resolves when everything is closed. */
  close(): Promise<void>;
}

// Each step after the worker drain is quick when healthy; these bound it when it is not.
const stepTimeoutMs = 5_000;

/**
 * Boots the container: Postgres pool, Redis connections, queues, workers and the HTTP
 * servers. Redis or Postgres being down does not stop the boot: /health reports it, the
 * ingress answers 503 and the workers start consuming when Redis comes back.
 */
export async function startJobs(env: JobsEnv, options: StartJobsOptions = {}): Promise<RunningJobs> {
  const log = options.log ?? createLogger({ service: "jobs" }, env.logLevel);
  const reporter = options.reporter ?? (await createErrorReporter(env));
  const database = createNodeDb(env.databaseUrl, { max: env.databasePoolMax });
  // pg emits "error" for idle clients when Postgres drops them; unhandled, that kills the process.
  database.pool.on("error", (error) => log.warn("postgres pool error", errorFields(error)));

  const producerConnection = createProducerConnection(env.redisUrl, log);
  const consumerConnection = createConsumerConnection(env.redisUrl, log);
  const producer: Producer = {
    connection: producerConnection,
    queues: createQueues({ connection: producerConnection, prefix: env.redisKeyPrefix, log }),
  };
  const enqueue = createEnqueue(producer);
  if (!(await firstConnectAttempt(producerConnection, 2_000))) {
    log.warn("redis not reachable at boot; serving anyway and reconnecting in the background");
  }

  const services = await buildJobServices(env, { db: database.db, redis: producerConnection, log });
  const workers = startWorkers({
    processors: options.processors ?? productionProcessors,
    connection: consumerConnection,
    prefix: env.redisKeyPrefix,
    log,
    db: database.db,
    enqueue,
    services,
    reporter,
  });
  // Upserts, so every boot (and every replica) converges on one schedule instead of adding one.
  if (options.schedulers ?? options.processors === undefined) void startSchedulers(producer.queues, log, { mercadolibre: services.ml !== null, tiny: services.tiny !== null });

  const app = createApp({
    log,
    db: database.db,
    producer,
    publicUrl: env.publicUrl,
    signingKeys: env.qstash,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  const adminApp = createAdminApp({
    log,
    db: database.db,
    producer,
    metrics: services.metrics,
    admin: { username: env.admin.username, password: env.admin.password },
    metricsToken: env.metricsToken,
  });

  const servers: ServerType[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const started = performance.now();
      log.info("shutdown started");
      // 1. No new deliveries: QStash gets connection errors and retries later.
      await step("http servers", log, () => Promise.all(servers.map(closeServer)));
      // 2. In-flight jobs finish (bounded); queues stop being consumed.
      const drain = await workers.close(env.shutdownTimeoutMs);
      // 3. Then everything the jobs used.
      await step("queues", log, () => closeQueues(producer.queues));
      await step("redis", log, () => Promise.all([closeRedis(producerConnection), closeRedis(consumerConnection)]));
      await step("database", log, () => database.close());
      if (!options.reporter) await step("error reporter", log, () => reporter.close());
      log.info("shutdown complete", { durationMs: Math.round(performance.now() - started), timedOut: drain.timedOut });
    })());

  try {
    servers.push(await listen(app.fetch, env.host, env.port));
    servers.push(await listen(adminApp.fetch, env.admin.host, env.admin.port));
  } catch (error) {
    // A taken port must not leave Redis connections and workers running behind the caller's back.
    await close();
    throw error;
  }
  const [url, adminUrl] = servers.map(listeningUrl) as [string, string];
  log.info("jobs container listening", { url, admin: `${adminUrl}/admin/queues`, publicUrl: env.publicUrl, prefix: env.redisKeyPrefix });

  return { url, adminUrl, close };
}

function listeningUrl(server: ServerType): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
}

async function step(name: string, log: Logger, run: () => Promise<unknown>): Promise<void> {
  try {
    await withTimeout(run(), stepTimeoutMs, `closing ${name}`);
  } catch (error) {
    log.warn("shutdown step failed", { step: name, ...errorFields(error) });
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => {
      server.off("error", reject);
      resolve(server);
    });
    server.once("error", reject);
  });
}

/**
 * Stops accepting connections and lets in-flight requests finish. Idle keep-alive sockets
 * are dropped at once and busy ones after a grace period, so a client holding a connection
 * open cannot stall the shutdown.
 */
function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    const http = server as Server;
    const force = setTimeout(() => http.closeAllConnections(), stepTimeoutMs - 1_000);
    http.close(() => {
      clearTimeout(force);
      resolve();
    });
    http.closeIdleConnections();
  });
}
