import { createHash, randomBytes } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisRestServer, type RedisRestServer } from "./server";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `autoecom_t_${randomBytes(6).toString("hex")}:`;
let server: RedisRestServer;
let direct: Redis;

beforeAll(async () => {
  direct = new Redis(REDIS_URL);
  server = await startRedisRestServer({ port: 0, token: `tok-${prefix}`, redisUrl: REDIS_URL });
});

afterAll(async () => {
  await server?.close();
  const keys = await direct.keys(`${prefix}*`);
  if (keys.length) await direct.del(...keys);
  await direct.quit();
});

const clientFor = (responseEncoding: false | "base64", token = server.token) => new UpstashRedis({ url: server.url, token, enableTelemetry: false, responseEncoding, retry: false });

describe.each([
  ["base64 responses (the SDK default)", "base64" as const],
  ["plain responses (responseEncoding: false)", false as const],
])("@upstash/redis with %s", (_label, encoding) => {
  const k = (name: string) => `${prefix}${encoding}:${name}`;
  let redis: UpstashRedis;
  beforeAll(() => {
    redis = clientFor(encoding);
  });

  it("round-trips strings that look like base64 and objects with unicode", async () => {
    expect(await redis.set(k("s"), "test")).toBe("OK");
    expect(await redis.get(k("s"))).toBe("test");
    const obj = { a: 1, s: "héllo ✓ 日本", nested: [true, null] };
    await redis.set(k("o"), obj);
    expect(await redis.get(k("o"))).toEqual(obj);
    expect(await redis.get(k("missing"))).toBeNull();
  });

  it("counts and expires", async () => {
    expect(await redis.incr(k("n"))).toBe(1);
    expect(await redis.incrby(k("n"), 41)).toBe(42);
    expect(await redis.expire(k("n"), 100)).toBe(1);
    const ttl = await redis.ttl(k("n"));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.set(k("nx"), "1", { nx: true, ex: 60 })).toBe("OK");
    expect(await redis.set(k("nx"), "2", { nx: true, ex: 60 })).toBeNull();
  });

  it("runs pipelines and transactions", async () => {
    const p = redis.pipeline();
    p.set(k("p"), "abcd");
    p.get(k("p"));
    p.incr(k("pn"));
    expect(await p.exec()).toEqual(["OK", "abcd", 1]);

    const tx = redis.multi();
    tx.set(k("m"), "x");
    tx.get(k("m"));
    tx.del(k("m"));
    expect(await tx.exec()).toEqual(["OK", "x", 1]);
  });

  it("returns raw hash replies (no ioredis object transform) and nested arrays", async () => {
    await redis.hset(k("h"), { f: "v", g: 2 });
    expect(await redis.hgetall(k("h"))).toEqual({ f: "v", g: 2 });
    await redis.mset({ [k("m1")]: "one", [k("m2")]: "two" });
    expect(await redis.mget(k("m1"), k("m2"), k("none"))).toEqual(["one", "two", null]);
    await redis.zadd(k("z"), { score: 1, member: "a" }, { score: 2, member: "b" });
    expect(await redis.zrange(k("z"), 0, -1, { withScores: true })).toEqual(["a", 1, "b", 2]);
    // One SCAN call covers `count` slots of the whole keyspace, not `count` matches: the shared
    // Redis holds other runs' keys, so only following the cursor back to "0" sees every match
    // (and SCAN may return a key twice while Redis rehashes).
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, page] = await redis.scan(cursor, { match: `${k("m")}*`, count: 1000 });
      for (const key of page) keys.add(key);
      cursor = next;
    } while (cursor !== "0");
    expect([...keys].sort()).toEqual([k("m1"), k("m2")]);
  });

  it("evaluates Lua", async () => {
    await redis.set(k("lua"), "from lua");
    expect(await redis.eval("return redis.call('GET', KEYS[1])", [k("lua")], [])).toBe("from lua");
    expect(await redis.eval("return {1, ARGV[1]}", [], ["two"])).toEqual([1, "two"]);
  });

  it("runs @upstash/ratelimit's scripts, whose shebang carries Upstash's own allow-key-locking flag", async () => {
    const limiter = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(2, "1 m"), prefix: k("rl"), ephemeralCache: false, timeout: 0 });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await limiter.limit("id")).success);
    expect(outcomes).toEqual([true, true, false]);
    expect((await limiter.getRemaining("other")).remaining).toBe(2);
  });

  it("answers a script's hash as Upstash does, so EVALSHA finds it after SCRIPT LOAD or EVAL", async () => {
    const script = "#!lua flags=allow-key-locking,no-writes\nreturn ARGV[1]";
    const sha = createHash("sha1").update(script).digest("hex");
    expect(await redis.scriptLoad(script)).toBe(sha);
    expect(await redis.scriptExists(sha)).toEqual([1]);
    expect(await redis.evalsha(sha, [], ["loaded"])).toBe("loaded");
    // Unique text per run: the stand-in remembers every script it has seen.
    const other = `#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) -- ${k("sha")}`;
    await expect(redis.evalsha(createHash("sha1").update(other).digest("hex"), [k("sha")], [])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(other, [k("sha")], [])).toBe(1);
    expect(await redis.evalsha(createHash("sha1").update(other).digest("hex"), [k("sha")], [])).toBe(2);
  });

  it("surfaces command errors", async () => {
    await redis.set(k("text"), "not a number");
    await expect(redis.incr(k("text"))).rejects.toThrow(/not an integer/);
    const p = redis.pipeline();
    p.incr(k("text"));
    p.get(k("text"));
    await expect(p.exec()).rejects.toThrow(/not an integer/);
    const results = await redis.pipeline().incr(k("text")).get(k("text")).exec({ keepErrors: true });
    expect(results[0]!.error).toMatch(/not an integer/);
    expect(results[1]!.result).toBe("not a number");
  });
});

describe("redis REST protocol details", () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, ...headers },
      body: JSON.stringify(body),
    });

  it("rejects a bad token with 401, also through the SDK", async () => {
    await expect(clientFor("base64", "wrong").get(`${prefix}x`)).rejects.toThrow(/Unauthorized/);
    const res = await fetch(`${server.url}/`, { method: "POST", body: '["PING"]' });
    expect(res.status).toBe(401);
  });

  it("accepts ?_token= and path-style commands", async () => {
    const set = await fetch(`${server.url}/set/${encodeURIComponent(`${prefix}path`)}/a%20b?_token=${server.token}`);
    expect(await set.json()).toEqual({ result: "OK" });
    const post = await fetch(`${server.url}/append/${encodeURIComponent(`${prefix}path`)}?_token=${server.token}`, {
      method: "POST",
      body: "!",
    });
    expect(await post.json()).toEqual({ result: 4 });
    expect(await direct.get(`${prefix}path`)).toBe("a b!");
  });

  it("base64-encodes every string except OK when asked", async () => {
    const b64 = { "upstash-encoding": "base64" };
    expect(await (await post("/", ["SET", `${prefix}e`, "OK"], b64)).json()).toEqual({ result: "OK" });
    expect(await (await post("/", ["GET", `${prefix}e`], b64)).json()).toEqual({ result: "OK" });
    expect(await (await post("/", ["ECHO", "hé"], b64)).json()).toEqual({ result: Buffer.from("hé").toString("base64") });
    expect(await (await post("/", ["ECHO", "hé"])).json()).toEqual({ result: "hé" });
  });

  it("answers 400 {error} for errors and refused commands", async () => {
    const bad = await post("/", ["GET"]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/wrong number of arguments/);
    for (const cmd of [["SUBSCRIBE", "ch"], ["SELECT", "1"], []]) {
      const res = await post("/", cmd);
      expect(res.status).toBe(400);
    }
    const discarded = await post("/multi-exec", [["SET", `${prefix}tx`, "1"], ["GET"]]);
    expect(discarded.status).toBe(400);
    expect(((await discarded.json()) as { error: string }).error).toMatch(/EXECABORT/);
    expect(await direct.exists(`${prefix}tx`)).toBe(0);
    expect((await fetch(`${server.url}/`, { method: "PUT", headers: { authorization: `Bearer ${server.token}` } })).status).toBe(405);
  });

  it("runs blocking commands on their own connection", async () => {
    const blocked = post("/", ["BLPOP", `${prefix}queue`, "1"]);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect(await (await post("/", ["PING"])).json()).toEqual({ result: "PONG" });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await (await blocked).json()).toEqual({ result: null });
  });
});
