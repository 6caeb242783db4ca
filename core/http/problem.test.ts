import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { problemResponse } from "./problem";

function appThrowing(error: unknown) {
  const app = new Hono();
  app.get("/", () => {
    throw error;
  });
  app.onError((thrown, c) => problemResponse(c, thrown));
  return app;
}

const leaky = "insert into users values ($1) params: ana@example.com,529.982.247-25";

describe("problemResponse", () => {
  it("never puts an unexpected error's message into a 5xx body", async () => {
    for (const error of [new Error(leaky), new HTTPException(500, { message: leaky }), new HTTPException(503, { message: leaky }), new HTTPException(502, { message: leaky })]) {
      const response = await appThrowing(error).request("/");
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const body = await response.text();
      expect(body).not.toContain("ana@example.com");
      expect(body).not.toContain("insert into");
      expect(JSON.parse(body)).toMatchObject({ detail: "An unexpected error occurred." });
    }
  });

  it("keeps the status of Hono's own errors and the message of 4xx ones and of our AppErrors", async () => {
    const malformed = await appThrowing(new HTTPException(400, { message: "Malformed JSON in request body" })).request("/");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "bad_request", detail: "Malformed JSON in request body" });
    const unavailable = await appThrowing(new HTTPException(503, { message: "x" })).request("/");
    expect(await unavailable.json()).toMatchObject({ status: 503, code: "unavailable" });
    const ours = await appThrowing(new AppError("unavailable", "The job queue is unavailable.")).request("/");
    expect(await ours.json()).toMatchObject({ status: 503, detail: "The job queue is unavailable." });
  });
});
