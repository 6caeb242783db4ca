import { describe, expect, it } from "vitest";
import { AddressAllowlist, parseAddress } from "./allowlist";
import { localNeonConfig } from "./config";
import { backendTarget, beginStatement, parseSqlRequest } from "./sql-protocol";

describe("Neon HTTP protocol helpers", () => {
  it("builds BEGIN from the batch headers and rejects anything else", () => {
    expect(beginStatement({})).toBe("BEGIN");
    expect(
      beginStatement({
        "neon-batch-isolation-level": "Serializable",
        "neon-batch-read-only": "true",
        "neon-batch-deferrable": "true",
      }),
    ).toBe("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE");
    expect(() => beginStatement({ "neon-batch-isolation-level": "Serializable; drop table x" })).toThrow(/Isolation-Level/);
    expect(() => beginStatement({ "neon-batch-read-only": "yes" })).toThrow(/read-only/);
  });

  it("parses single and batch bodies", () => {
    expect(parseSqlRequest({ query: "select 1" })).toEqual({ kind: "single", query: { query: "select 1", params: [] } });
    expect(parseSqlRequest({ queries: [{ query: "select $1", params: ["a"] }] })).toEqual({
      kind: "batch",
      queries: [{ query: "select $1", params: ["a"] }],
    });
    expect(() => parseSqlRequest({ queries: [{}] })).toThrow(/queries\[0\]\.query/);
  });

  it("strips client-side TLS settings and defaults the port", () => {
    const target = backendTarget("postgresql://u:p@LocalHost/db?sslmode=require&application_name=x&channel_binding=require");
    expect(target.address).toEqual({ host: "localhost", port: 5432 });
    expect(target.connectionString).toBe("postgresql://u:p@LocalHost/db?application_name=x");
    expect(() => backendTarget("mysql://x/y")).toThrow(/postgres/);
    expect(() => backendTarget(undefined)).toThrow(/missing/);
  });

  it("matches allowlisted addresses exactly", () => {
    const allow = new AddressAllowlist(["127.0.0.1:5432", "[::1]:5432"]);
    expect(allow.has(parseAddress("127.0.0.1:5432")!)).toBe(true);
    expect(allow.has(parseAddress("[::1]:5432")!)).toBe(true);
    expect(allow.has(parseAddress("127.0.0.1:5433")!)).toBe(false);
    expect(parseAddress("127.0.0.1")).toBeUndefined();
    expect(() => new AddressAllowlist(["nope"])).toThrow(/host:port/);
  });

  it("points the driver at the local endpoints", () => {
    const config = localNeonConfig({ httpPort: 1, wsPort: 2 });
    expect(config.fetchEndpoint).toBe("http://127.0.0.1:1/sql");
    expect(typeof config.wsProxy === "function" && config.wsProxy("127.0.0.1", 5432)).toBe("127.0.0.1:2/v2?address=127.0.0.1:5432");
    expect(config).toMatchObject({ useSecureWebSocket: false, pipelineConnect: false });
  });
});
