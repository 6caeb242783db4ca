import { describe, expect, it } from "vitest";
import { DEV_SIGNING_KEYS, DEV_TOKEN } from "./defaults";
import { qstashHoldFromEnv, qstashOptionsFromEnv } from "./env";

describe("qstashOptionsFromEnv", () => {
  it("defaults to the SDK's dev credentials on :8080", () => {
    expect(qstashOptionsFromEnv({})).toEqual({
      port: 8080,
      host: "127.0.0.1",
      token: DEV_TOKEN,
      signingKeys: DEV_SIGNING_KEYS,
      backoffScale: 0.001,
      hold: false,
    });
  });

  it("reads overrides and rejects non-numbers", () => {
    const opts = qstashOptionsFromEnv({ QSTASH_PORT: "9090", QSTASH_LOCAL_BACKOFF_SCALE: "1", QSTASH_TOKEN: "t" });
    expect(opts).toMatchObject({ port: 9090, backoffScale: 1, token: "t" });
    expect(() => qstashOptionsFromEnv({ QSTASH_PORT: "eighty" })).toThrow(/QSTASH_PORT/);
  });

  it("holds deliveries only when QSTASH_LOCAL_HOLD says so", () => {
    expect(qstashOptionsFromEnv({ QSTASH_LOCAL_HOLD: "1" }).hold).toBe(true);
    expect(qstashHoldFromEnv({ QSTASH_LOCAL_HOLD: "true" })).toBe(true);
    expect(qstashHoldFromEnv({ QSTASH_LOCAL_HOLD: "0" })).toBe(false);
    expect(qstashHoldFromEnv({})).toBe(false);
    expect(() => qstashHoldFromEnv({ QSTASH_LOCAL_HOLD: "yes please" })).toThrow(/QSTASH_LOCAL_HOLD/);
  });
});
