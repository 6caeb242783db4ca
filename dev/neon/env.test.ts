import { describe, expect, it } from "vitest";
import { neonOptionsFromEnv } from "./env";

describe("neonOptionsFromEnv", () => {
  it("defaults to :5488 and :4444 with the local Postgres allowed", () => {
    const allow = ["127.0.0.1:5432", "localhost:5432"];
    expect(neonOptionsFromEnv({})).toEqual({
      ws: { port: 5488, host: "127.0.0.1", allow },
      http: { port: 4444, host: "127.0.0.1", allow },
    });
  });

  it("reads a comma-separated allowlist", () => {
    expect(neonOptionsFromEnv({ NEON_LOCAL_ALLOW: "127.0.0.1:5433, db:5432" }).http.allow).toEqual(["127.0.0.1:5433", "db:5432"]);
  });
});
