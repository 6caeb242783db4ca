import { describe, expect, it } from "vitest";
import { scrubEvent, type ReportedEvent } from "./error-report";

describe("scrubEvent", () => {
  it("drops what an SDK gathers on its own: request, user, breadcrumbs, extra, frame variables", () => {
    const event: ReportedEvent = {
      request: { url: "https://api.test/x?email=a@b.co", headers: { authorization: "Bearer abcdefghijkl", cookie: "s=1" }, data: "{}" },
      user: { email: "a@b.co", ip_address: "192.0.2.1" },
      breadcrumbs: [{ message: "fetch https://api.mercadolibre.com/orders?access_token=APP_USR-123" }],
      extra: { body: "secret" },
      exception: { values: [{ value: "boom", stacktrace: { frames: [{ vars: { password: "hunter2" } }] } }] },
    };
    const scrubbed = scrubEvent(event);
    expect(scrubbed).not.toHaveProperty("request");
    expect(scrubbed).not.toHaveProperty("user");
    expect(scrubbed).not.toHaveProperty("breadcrumbs");
    expect(scrubbed).not.toHaveProperty("extra");
    expect(scrubbed.exception?.values?.[0]?.stacktrace?.frames?.[0]).toEqual({});
  });

  it("describes the thrown error as the logs do: a failed query's SQL and parameters never leave", () => {
    const failedQuery = Object.assign(new Error("Failed query: select * from users where email = $1\nparams: ana@example.com"), {
      query: "select * from users where email = $1",
      params: ["ana@example.com"],
      cause: Object.assign(new Error('invalid input syntax for type uuid: "ana@example.com"'), { code: "22P02", severity: "ERROR" }),
    });
    const event: ReportedEvent = { exception: { values: [{ value: failedQuery.message }] } };
    expect(scrubEvent(event, failedQuery).exception?.values?.[0]?.value).toBe("database query failed: 22P02 invalid_text_representation");
  });

  it("masks secrets and personal data in messages, causes, tags and contexts; keeps the trace ids", () => {
    const traceId = "0123456789abcdef0123456789abcdef";
    const event: ReportedEvent = {
      message: "login failed for ana@example.com",
      logentry: { message: "token=abcdefghijklmnop", params: ["ana@example.com"] },
      exception: { values: [{ value: "cause: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" }, { value: "top" }] },
      tags: { note: "CPF 123.456.789-09" },
      contexts: { trace: { trace_id: traceId }, job: { note: "ana@example.com" } },
    };
    const scrubbed = scrubEvent(event);
    expect(scrubbed.message).toBe("login failed for [email]");
    expect(scrubbed.logentry).toEqual({ message: "token=[redacted]" });
    expect(scrubbed.exception?.values?.[0]?.value).toBe("cause: Bearer [redacted]");
    expect(scrubbed.tags).toEqual({ note: "CPF [cpf]" });
    expect(scrubbed.contexts).toEqual({ trace: { trace_id: traceId }, job: { note: "[email]" } });
  });
});
