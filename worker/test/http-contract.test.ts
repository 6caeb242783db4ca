import { describe, expect, it } from "vitest";
import { api, freshIp, problemFields, registerUser } from "./support/api";

describe("cross-cutting HTTP behaviour", () => {
  it("answers malformed JSON with 400 problem+json naming the body as the field at fault", async () => {
    const response = await api("/auth/login", { method: "POST", body: '{"email":', headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(problemFields(response.body)).toEqual(["body"]);
  });

  it("answers a body that is not JSON with 415", async () => {
    const response = await api("/auth/login", { method: "POST", body: "email=a", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(415);
  });

  it("refuses bodies over the limit with 413 and creates nothing", async () => {
    const email = `big-${crypto.randomUUID()}@example.com`;
    const response = await api("/auth/register", { method: "POST", json: { email, password: "long enough pw", name: "x".repeat(70_000) }, ip: freshIp() });
    expect(response.status).toBe(413);
    const login = await api("/auth/login", { method: "POST", json: { email, password: "long enough pw" }, ip: freshIp() });
    expect(login.status).toBe(401);
  });

  it("answers unknown routes with 404 JSON", async () => {
    const response = await api<{ status: number; code: string }>("/no/such/route");
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ status: 404, code: "not_found" });
  });

  it("puts a request id on every response and in problems", async () => {
    const response = await api<{ requestId: string }>("/no/such/route");
    const id = response.headers.get("x-request-id");
    expect(id).toBeTruthy();
    expect(response.body.requestId).toBe(id);
    const echoed = await api("/health", { headers: { "x-request-id": "trace-abc-123" } });
    expect(echoed.headers.get("x-request-id")).toBe("trace-abc-123");
  });

  it("never puts a stack trace or SQL in an error", async () => {
    const session = await registerUser();
    const response = await api(`/users/${session.user.id}`, { method: "PUT", token: session.accessToken, json: { name: 42 } });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).not.toMatch(/at \w+ \(|select |insert /i);
  });

  it("allows CORS only for configured origins", async () => {
    const allowed = await api("/auth/login", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const denied = await api("/auth/login", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves /health with database and Redis checks", async () => {
    const response = await api<{ status: string; checks: Record<string, { ok: boolean }> }>("/health");
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("ok");
    expect(response.body.checks.database!.ok).toBe(true);
    expect(response.body.checks.redis!.ok).toBe(true);
  });

  it("publishes an OpenAPI 3.1 document generated from the route schemas", async () => {
    const response = await api<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    for (const path of ["/auth/register", "/auth/login", "/auth/refresh", "/auth/logout", "/auth/me", "/users/{id}", "/health"]) {
      expect(response.body.paths).toHaveProperty([path]);
    }
    expect(response.body.components.schemas).toHaveProperty("Problem");
    const docs = await api<string>("/docs");
    expect(docs.status).toBe(200);
    expect(docs.body).toContain("/openapi.json");
  });
});
