import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type RunningServer } from "./server";
import { createWebhookDeliverer } from "./webhooks";

let server: RunningServer;
const hits: Array<{ path: string; body: Record<string, unknown> }> = [];
beforeAll(async () => {
  const app = new Hono();
  app.post("/:mode", async (c) => {
    const body = (await c.req.json()) as Record<string, unknown>;
    hits.push({ path: c.req.param("mode"), body });
    const mode = c.req.param("mode");
    const n = hits.filter((h) => h.path === mode && h.body.key === body.key).length;
    if (mode === "fail") return c.text("no", 500);
    if (mode === "flaky") return c.text(n < 3 ? "no" : "ok", n < 3 ? 500 : 200);
    if (mode === "slow") await new Promise((r) => setTimeout(r, 300));
    return c.text("ok");
  });
  server = await listen(app.fetch);
});
afterAll(() => server.close());

const byKey = (key: string) => hits.filter((h) => h.body.key === key);

describe("webhook deliverer", () => {
  it("retries on the scaled schedule and stops at the first success", async () => {
    const d = createWebhookDeliverer({ retrySchedule: [1000, 1000, 1000], timeScale: 0.01 });
    const delivery = d.send({ url: `${server.url}/flaky`, render: ({ attempt }) => ({ key: "flaky", attempt }) });
    await d.idle();
    expect(delivery.status).toBe("delivered");
    expect(byKey("flaky").map((h) => h.body.attempt)).toEqual([1, 2, 3]);
    const log = d.attempts();
    expect(log.map((a) => a.httpCode)).toEqual([500, 500, 200]);
    await d.close();
  });

  it("gives up after the schedule and reports the exhausted delivery", async () => {
    const exhausted: string[] = [];
    const d = createWebhookDeliverer({ retrySchedule: [10, 10], onExhausted: (x) => exhausted.push(x.id) });
    const delivery = d.send({ url: `${server.url}/fail`, body: { key: "fail" } });
    await d.idle();
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts).toBe(3);
    expect(exhausted).toEqual([delivery.id]);
    expect(delivery.lastResponse?.http_code).toBe(500);
    await d.close();
  });

  it("counts an answer slower than the attempt timeout as a failure", async () => {
    const d = createWebhookDeliverer({ retrySchedule: [], attemptTimeoutMs: 100 });
    const delivery = d.send({ url: `${server.url}/slow`, body: { key: "slow" } });
    await d.idle();
    expect(delivery.status).toBe("failed");
    expect(d.attempts()[0]?.error).toBe("timeout");
    await d.close();
  });

  it("drops, duplicates and reorders when told to", async () => {
    const d = createWebhookDeliverer({ dropRate: 1 });
    expect(d.send({ url: `${server.url}/ok`, body: { key: "drop" } }).status).toBe("dropped");
    await d.idle();
    expect(byKey("drop")).toHaveLength(0);
    d.configure({ dropRate: 0, duplicateRate: 1 });
    d.send({ url: `${server.url}/ok`, body: { key: "dup" } });
    await d.idle();
    expect(byKey("dup")).toHaveLength(2);
    d.configure({ duplicateRate: 0, reorderRate: 1, reorderMaxDelayMs: 80 });
    for (let i = 0; i < 8; i++) d.send({ url: `${server.url}/ok`, body: { key: "order", i } });
    await d.idle();
    const order = byKey("order").map((h) => h.body.i);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(order).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await d.close();
  });
});
