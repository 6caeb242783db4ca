import { describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { problemFields, registerUser } from "./support/api";
import { published } from "./support/qstash";
import { api, seedAccount, testServices } from "./support/tiny";

describe("POST /tinyerp/products/sync", () => {
  it("wants a session on both endpoints", async () => {
    expect((await api("/tinyerp/products/sync", { method: "POST", json: {} })).status).toBe(401);
    expect((await api(`/tinyerp/products/sync/runs/${uuidv7()}`)).status).toBe(401);
  });

  it("records one live run per account, hands it to QStash, answers 409 with the live run's id", async () => {
    const services = testServices();
    const owner = await registerUser();
    const account = await seedAccount(services, owner.user.id);
    const first = await api<{ run: { id: string; status: string; tinyAccountId: string; counts: { items: number } }; jobId: string }>("/tinyerp/products/sync", {
      method: "POST",
      json: {},
      token: owner.accessToken,
    });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.run).toMatchObject({ status: "queued", tinyAccountId: account.id, counts: { items: 0 } });
    expect(first.body.jobId).toMatch(/^tinyerp\.products\.sync\./);

    const second = await api<{ runId: string; code: string }>("/tinyerp/products/sync", { method: "POST", json: { accountId: account.id }, token: owner.accessToken });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: "conflict", runId: first.body.run.id });
    expect(second.headers.get("content-type")).toContain("application/problem+json");

    const run = await api<{ id: string; status: string }>(`/tinyerp/products/sync/runs/${first.body.run.id}`, { token: owner.accessToken });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ id: first.body.run.id, status: "queued" });

    // Exactly one message for this run: the 409 above published nothing.
    const messages = await published("tinyerp.products.sync", (payload) => payload.runId === first.body.run.id);
    expect(messages.map((m) => m.payload)).toEqual([{ runId: first.body.run.id }]);
  });

  it("keeps tenants apart: another user's account and run are 404s", async () => {
    const services = testServices();
    const owner = await registerUser();
    const stranger = await registerUser();
    const account = await seedAccount(services, owner.user.id);
    const started = await api<{ run: { id: string } }>("/tinyerp/products/sync", { method: "POST", json: { accountId: account.id }, token: owner.accessToken });
    expect(started.status).toBe(202);
    expect((await api("/tinyerp/products/sync", { method: "POST", json: { accountId: account.id }, token: stranger.accessToken })).status).toBe(404);
    expect((await api(`/tinyerp/products/sync/runs/${started.body.run.id}`, { token: stranger.accessToken })).status).toBe(404);
    // Without an account named, the stranger has none of their own.
    expect((await api("/tinyerp/products/sync", { method: "POST", json: {}, token: stranger.accessToken })).status).toBe(404);
  });

  it("rejects bad input with field details, and a second account must be named", async () => {
    const services = testServices();
    const owner = await registerUser();
    await seedAccount(services, owner.user.id);
    await seedAccount(services, owner.user.id);
    const bad = await api("/tinyerp/products/sync", { method: "POST", json: { accountId: "nope", extra: 1 }, token: owner.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).length).toBeGreaterThan(0);
    const ambiguous = await api("/tinyerp/products/sync", { method: "POST", json: {}, token: owner.accessToken });
    expect(ambiguous.status).toBe(400);
    expect(problemFields(ambiguous.body)).toContain("body.accountId");
  });
});
