import { createRouter } from "../../lib/router";
import { countDropped, ingestMlNotification } from "../../services/webhooks";
import { listWebhookEvents, replayWebhookEvent } from "../../services/webhooks-events";
import { tinyWebhooksRouter } from "./tinyerp";
import { listEventsRoute, mlWebhookRoute, replayEventRoute } from "./webhooks.routes";
import { toWebhookEventDto } from "./webhooks.schemas";

export const webhooksRouter = createRouter()
  .openapi(mlWebhookRoute, async (c) => {
    const services = c.get("services");
    const result = await ingestMlNotification(services, {
      body: await c.req.text(),
      headers: { get: (name) => c.req.header(name) },
      query: c.req.query(),
      clientIp: c.req.header("cf-connecting-ip") ?? null,
      traceId: c.get("requestId"),
    });
    const t = result.timings;
    c.header("server-timing", `handler;dur=${t.handlerMs.toFixed(2)}, limit;dur=${t.limitMs.toFixed(2)}, account;dur=${t.accountLookupMs.toFixed(2)}, qstash;dur=${t.publishMs.toFixed(2)}`);
    if (result.status === "dropped") {
      services.logger.info("ml notification dropped", { reason: result.reason });
      // Counting must not cost ML's deadline anything.
      const counting = countDropped(services, result.reason);
      try {
        c.executionCtx.waitUntil(counting);
      } catch {
        await counting;
      }
      return c.json({ status: "dropped" as const, reason: result.reason }, 200);
    }
    return c.json({ status: "accepted" as const, messageId: result.messageId, deduplicated: result.deduplicated }, 200);
  })
  .openapi(listEventsRoute, async (c) => {
    const page = await listWebhookEvents(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ events: page.events.map(toWebhookEventDto), nextCursor: page.nextCursor }, 200);
  })
  .openapi(replayEventRoute, async (c) => {
    const result = await replayWebhookEvent(c.get("services"), c.get("principal"), c.req.valid("param").id, c.get("requestId"));
    return c.json({ event: toWebhookEventDto(result.event), jobId: result.jobId }, 202);
  });

webhooksRouter.route("/", tinyWebhooksRouter);
