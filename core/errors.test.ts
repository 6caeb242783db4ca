import { describe, expect, it } from "vitest";
import { AppError, fieldErrorsFromIssues, toProblem } from "./errors";

describe("toProblem", () => {
  it("renders an AppError with its fields and request id", () => {
    const problem = toProblem(new AppError("validation_failed", "bad", { fields: [{ path: "body.email", message: "invalid" }] }), "req-1");
    expect(problem).toEqual({
      type: "https://autoecom.dev/problems/validation-failed",
      title: "Validation failed",
      status: 400,
      detail: "bad",
      code: "validation_failed",
      requestId: "req-1",
      errors: [{ path: "body.email", message: "invalid" }],
    });
  });

  it("never exposes the message of an unexpected error", () => {
    const problem = toProblem(new Error('relation "users" does not exist at db.ts:12'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain("users");
  });

  it("keeps retryability: 5xx and 429 retry by default, 4xx do not", () => {
    expect(new AppError("unavailable", "x").retryable).toBe(true);
    expect(new AppError("rate_limited", "x").retryable).toBe(true);
    expect(new AppError("not_found", "x").retryable).toBe(false);
    expect(new AppError("bad_gateway", "x", { retryable: false }).retryable).toBe(false);
  });
});

describe("fieldErrorsFromIssues", () => {
  it("prefixes each zod path with where it came from", () => {
    expect(
      fieldErrorsFromIssues("query", [
        { path: ["limit"], message: "too big", code: "too_big" },
        { path: [], message: "empty" },
      ]),
    ).toEqual([
      { path: "query.limit", message: "too big", code: "too_big" },
      { path: "query", message: "empty" },
    ]);
  });
});
