import { describe, expect, it } from "vitest";
import { redisRestOptionsFromEnv } from "./env";

describe("redisRestOptionsFromEnv", () => {
  it("defaults to :8079 over the local Redis", () => {
    expect(redisRestOptionsFromEnv({})).toEqual({
      port: 8079,
      host: "127.0.0.1",
      token: "local-dev-token",
      redisUrl: "redis://127.0.0.1:6379",
    });
  });

  it("prefers REDIS_REST_TOKEN, then the client's UPSTASH_REDIS_REST_TOKEN", () => {
    expect(redisRestOptionsFromEnv({ UPSTASH_REDIS_REST_TOKEN: "u" }).token).toBe("u");
    expect(redisRestOptionsFromEnv({ UPSTASH_REDIS_REST_TOKEN: "u", REDIS_REST_TOKEN: "r" }).token).toBe("r");
  });
});
