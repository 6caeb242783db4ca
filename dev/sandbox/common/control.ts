import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Clock } from "./clock";
import type { CallCounters } from "./counters";
import { faultRuleSchema, type FaultInjector } from "./faults";
import type { WebhookDeliverer } from "./webhooks";

// Control endpoints shared by every sandbox, all under /_sandbox so they can never be mistaken
// for (or collide with) the simulated provider's own API.

export interface CommonControlParts {
  faults?: FaultInjector;
  counters?: CallCounters;
  webhooks?: WebhookDeliverer;
  clock?: Clock;
}

export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<{ ok: true; data: z.infer<T> } | { ok: false; res: Response }> {
  let raw: unknown = {};
  const text = await c.req.text();
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, res: c.json({ error: "invalid_json", message: "body is not valid JSON" }, 400) };
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, res: c.json({ error: "invalid_body", message: z.prettifyError(parsed.error) }, 400) };
  return { ok: true, data: parsed.data };
}

// Strict objects: a typo'd or invalid body must be a 400, not silently match the other shape.
const putFaultsSchema = z.union([
  z.strictObject({ account: z.union([z.string(), z.number()]).optional(), rules: z.array(faultRuleSchema) }),
  z.strictObject({ global: z.array(faultRuleSchema).optional(), accounts: z.record(z.string(), z.array(faultRuleSchema)).optional() }),
]);

const postFaultSchema = z.object({ account: z.union([z.string(), z.number()]).optional(), rule: faultRuleSchema });

const webhookPatchSchema = z.object({
  retrySchedule: z.array(z.number().min(0)).optional(),
  timeScale: z.number().min(0).optional(),
  attemptTimeoutMs: z.number().int().min(1).optional(),
  dropRate: z.number().min(0).max(1).optional(),
  duplicateRate: z.number().min(0).max(1).optional(),
  reorderRate: z.number().min(0).max(1).optional(),
  reorderMaxDelayMs: z.number().int().min(0).optional(),
  logLimit: z.number().int().min(1).optional(),
});

const advanceSchema = z.object({ ms: z.number().optional(), seconds: z.number().optional() });

export function mountCommonControl(app: Hono, parts: CommonControlParts, prefix = "/_sandbox"): void {
  const { faults, counters, webhooks, clock } = parts;

  if (faults) {
    app.get(`${prefix}/faults`, (c) => c.json(faults.config()));
    app.put(`${prefix}/faults`, async (c) => {
      const body = await readJson(c, putFaultsSchema);
      if (!body.ok) return body.res;
      if ("rules" in body.data) {
        const account = body.data.account === undefined ? undefined : String(body.data.account);
        faults.set(account, body.data.rules);
      } else {
        faults.clear();
        if (body.data.global) faults.set(undefined, body.data.global);
        for (const [account, rules] of Object.entries(body.data.accounts ?? {})) faults.set(account, rules);
      }
      return c.json(faults.config());
    });
    app.post(`${prefix}/faults`, async (c) => {
      const body = await readJson(c, postFaultSchema);
      if (!body.ok) return body.res;
      const rule = faults.add(body.data.account === undefined ? undefined : String(body.data.account), body.data.rule);
      return c.json(rule, 201);
    });
    app.delete(`${prefix}/faults`, (c) => {
      faults.clear(c.req.query("account"));
      return c.json(faults.config());
    });
  }

  if (counters) {
    app.get(`${prefix}/counters`, (c) => c.json({ total: counters.total(), counts: counters.counts(), detail: counters.snapshot() }));
    app.delete(`${prefix}/counters`, (c) => {
      counters.reset();
      return c.json({ total: 0, counts: {}, detail: {} });
    });
  }

  if (webhooks) {
    app.get(`${prefix}/webhooks`, (c) => {
      const status = c.req.query("status") as "pending" | "delivered" | "failed" | "dropped" | undefined;
      return c.json({ settings: webhooks.settings(), pending: webhooks.pending(), deliveries: webhooks.deliveries(status ? { status } : undefined) });
    });
    app.patch(`${prefix}/webhooks`, async (c) => {
      const body = await readJson(c, webhookPatchSchema);
      if (!body.ok) return body.res;
      return c.json(webhooks.configure(body.data));
    });
    app.get(`${prefix}/webhooks/attempts`, (c) => c.json(webhooks.attempts()));
    app.delete(`${prefix}/webhooks/attempts`, (c) => {
      webhooks.clearLog();
      return c.json({ cleared: true });
    });
    app.post(`${prefix}/webhooks/idle`, async (c) => {
      await webhooks.idle();
      return c.json({ pending: webhooks.pending() });
    });
  }

  if (clock) {
    app.get(`${prefix}/clock`, (c) => c.json({ now: new Date(clock.now()).toISOString(), offsetMs: clock.offset() }));
    app.post(`${prefix}/clock/advance`, async (c) => {
      const body = await readJson(c, advanceSchema);
      if (!body.ok) return body.res;
      clock.advance((body.data.ms ?? 0) + (body.data.seconds ?? 0) * 1000);
      return c.json({ now: new Date(clock.now()).toISOString(), offsetMs: clock.offset() });
    });
  }
}
