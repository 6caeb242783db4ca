import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { errorFields, type Logger } from "#core/log";
import type { NodeDb } from "#db/client-node";
import type { Producer } from "../queues/enqueue";
import type { JobMetrics } from "../runtime/metrics";
import { adminBasePath, adminRoutes } from "./admin";
import { healthRoutes } from "./health";
import { problemResponse, toAppError } from "#core/http/problem";
import { metricsRoutes } from "./metrics";
import { qstashRoutes } from "./qstash";
import { recordIngress } from "./record-ingress";
import { requestLog } from "./request-log";
import type { AppEnv } from "./types";

export interface AppDeps {
  log: Logger;
  db: NodeDb;
  producer: Producer;
  publicUrl: string;
  signingKeys: { currentSigningKey: string; nextSigningKey: string };
  /** Job payloads are small (an ML notification is ~300 bytes); anything large is a mistake or abuse. */
  maxBodyBytes?: number;
}

export const defaultMaxBodyBytes = 64 * 1024;

export interface AdminAppDeps {
  log: Logger;
  db: NodeDb;
  producer: Producer;
  metrics: JobMetrics;
  admin: { username: string; password: string };
  metricsToken: string;
}

/**
 * The listener QStash reaches, and so anyone on the internet: the health probe and the signed
 * ingress only. Bull Board and /metrics live on createAdminApp's listener.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = baseApp(deps.log, deps.maxBodyBytes ?? defaultMaxBodyBytes);
  app.route("/health", healthRoutes({ db: deps.db, redis: deps.producer.connection, log: deps.log }));
  app.route("/qstash", qstashRoutes({ producer: deps.producer, publicUrl: deps.publicUrl, signingKeys: deps.signingKeys, log: deps.log, onEnqueued: recordIngress(deps.db, deps.log) }));
  return app;
}

/** Operators only (loopback or a private network): Bull Board can retry and delete jobs, /metrics describes the business. */
export function createAdminApp(deps: AdminAppDeps): Hono<AppEnv> {
  const app = baseApp(deps.log, defaultMaxBodyBytes);
  app.route("/metrics", metricsRoutes({ producer: deps.producer, db: deps.db, metrics: deps.metrics, token: deps.metricsToken, log: deps.log }));
  app.route(adminBasePath, adminRoutes({ producer: deps.producer, credentials: deps.admin }));
  return app;
}

function baseApp(log: Logger, maxBodyBytes: number): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", requestId({ generator: () => uuidv7() }));
  app.use("*", requestLog(log));
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => problemResponse(c, new AppError("payload_too_large", "Request body is too large.")),
    }),
  );

  app.notFound((c) => problemResponse(c, new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      const fields = { requestId: c.get("requestId"), code: appError.code, ...errorFields(appError.cause ?? error) };
      // A 503 (Redis down) is an expected state with its own log lines; a 500 is a bug.
      if (appError.status === 500) log.error("request failed", fields);
      else log.warn("request failed", fields);
    }
    return problemResponse(c, appError);
  });
  return app;
}
