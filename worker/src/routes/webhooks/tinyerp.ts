import type { Context } from "hono";
import { clientInfo } from "../../lib/client-info";
import { createRouter } from "../../lib/router";
import type { AppEnv } from "../../lib/types";
import { ingestTinyWebhook, probeTinyWebhook, type Timings } from "../../services/tinyerp-webhooks";
import { tinyWebhookOptionsRoute, tinyWebhookProbeRoute, tinyWebhookRoute } from "./tinyerp.routes";
import { TinyWebhookEnvelopeDoc } from "./tinyerp.schemas";

const serverTiming = (c: Context<AppEnv>, t: Timings) => c.header("server-timing", `account;dur=${t.accountLookupMs.toFixed(2)}, qstash;dur=${t.publishMs.toFixed(2)}`);

export const tinyWebhooksRouter = createRouter()
  .openapi(tinyWebhookRoute, async (c) => {
    const result = await ingestTinyWebhook(c.get("services"), {
      secret: c.req.valid("param").secret,
      body: await c.req.text(),
      traceId: c.get("requestId"),
      clientIp: clientInfo(c).ip,
    });
    serverTiming(c, result.timings);
    if (result.status === "ignored") return c.json({ status: "ignored" as const, reason: result.reason }, 200);
    return c.json({ status: "accepted" as const, messageId: result.messageId }, 200);
  })
  .openapi(tinyWebhookProbeRoute, async (c) => {
    serverTiming(c, await probeTinyWebhook(c.get("services"), { secret: c.req.valid("param").secret, clientIp: clientInfo(c).ip }));
    return c.json({ status: "ok" as const }, 200);
  })
  .openapi(tinyWebhookOptionsRoute, async (c) => {
    serverTiming(c, await probeTinyWebhook(c.get("services"), { secret: c.req.valid("param").secret, clientIp: clientInfo(c).ip }));
    c.header("allow", "POST, GET, HEAD, OPTIONS");
    return c.json({ status: "ok" as const }, 200);
  });

tinyWebhooksRouter.openAPIRegistry.register("TinyWebhookEnvelope", TinyWebhookEnvelopeDoc);
