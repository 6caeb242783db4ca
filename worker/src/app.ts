import { Scalar } from "@scalar/hono-api-reference";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { AppError } from "#core/errors";
import { ConfigError, readConfig } from "./env";
import { problemResponse, toAppError } from "#core/http/problem";
import { errorFields } from "#core/log";
import { stackFrames } from "#core/redact";
import { createRouter } from "./lib/router";
import { reportServerError } from "./lib/sentry";
import { limitBody } from "./middleware/body-limit";
import { requestLog } from "./middleware/request-log";
import { initServices } from "./middleware/services";
import { authRouter } from "./routes/auth";
import { healthRouter } from "./routes/health";
import { mlRouter } from "./routes/ml";
import { mlDataRouter } from "./routes/ml-data";
import { tinyerpRouter } from "./routes/tinyerp";
import { usersRouter } from "./routes/users";
import { webhooksRouter } from "./routes/webhooks";
import { MlNotificationDoc } from "./routes/webhooks/webhooks.schemas";

export function createApp() {
  const app = createRouter();

  app.use("*", requestId({ headerName: "X-Request-Id" }));
  app.use("*", initServices);
  app.use("*", requestLog);
  app.use("*", async (c, next) => {
    // No browser calls Tiny's webhook URL, and Tiny's panel wants its OPTIONS check answered 200, not as a CORS preflight (204).
    if (c.req.path.startsWith("/webhooks/tinyerp/")) return next();
    return cors({
      origin: (origin) => (readConfig(c.env).CORS_ORIGINS.includes(origin) ? origin : null),
      allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"],
      maxAge: 600,
    })(c, next);
  });
  app.use("*", limitBody);

  app.route("/", healthRouter);
  app.route("/", authRouter);
  app.route("/", usersRouter);
  app.route("/", webhooksRouter);
  app.route("/", mlRouter);
  app.route("/", mlDataRouter);
  app.route("/", tinyerpRouter);

  app.openAPIRegistry.register("MlNotification", MlNotificationDoc);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "AutoEcom API",
      version: "0.1.0",
      description: "MercadoLibre + Tiny ERP automation. Errors are RFC 9457 problem+json with field-level details.",
    },
  });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "AutoEcom API" }));

  app.notFound((c) => problemResponse(c, new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => {
    // A 401 tells the client how to authenticate (RFC 6750).
    const appError = toAppError(error);
    const challenge = appError.status === 401 ? { "www-authenticate": 'Bearer realm="autoecom"' } : undefined;
    const response = problemResponse(c, error, challenge);
    if (response.status >= 500) reportServerError(c, { error, status: response.status, code: appError.code });
    if (error instanceof ConfigError) {
      // No services (and so no logger) without a configuration; the names are the whole story, a stack adds nothing.
      const variables = error.fields.map((field) => field.path);
      console.error(JSON.stringify({ level: "error", msg: "configuration refused", code: error.code, requestId: c.get("requestId"), variables }));
    } else if (response.status >= 500) {
      const logger = c.get("services")?.logger;
      // Messages quote SQL parameters and tokens (a DrizzleQueryError carries every param): described, frames only.
      const fields = { ...errorFields(error), stack: stackFrames(error) };
      if (logger) logger.error("unhandled error", fields);
      else console.error(JSON.stringify({ level: "error", msg: "unhandled error", requestId: c.get("requestId"), ...fields }));
    }
    return response;
  });
  return app;
}
