import { Receiver } from "@upstash/qstash";
import { describe, expect, it } from "vitest";
import { DEV_SIGNING_KEYS } from "./defaults";
import { parseDuration } from "./duration";
import { parsePublish, type PublishInput } from "./publish-headers";
import { signDelivery } from "./sign";

const NOW = 1_700_000_000_000;
const input = (headers: Record<string, string>, extra: Partial<PublishInput> = {}): PublishInput => ({
  destination: "http://127.0.0.1:9/hook",
  headers,
  body: Buffer.from("{}"),
  now: NOW,
  defaultRetries: 3,
  defaultTimeoutMs: 30_000,
  ...extra,
});

describe("parseDuration", () => {
  it("parses QStash duration strings", () => {
    expect(parseDuration("50s")).toBe(50_000);
    expect(parseDuration("1d10h30m")).toBe(86_400_000 + 36_000_000 + 1_800_000);
    expect(parseDuration("7")).toBe(7000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("10x")).toBeUndefined();
    expect(parseDuration("s")).toBeUndefined();
  });
});

describe("parsePublish", () => {
  it("applies QStash defaults", () => {
    const spec = parsePublish(input({}));
    expect(spec).toMatchObject({ method: "POST", maxRetries: 3, timeoutMs: 30_000, notBefore: NOW, labels: [] });
    expect(spec.dedupKey).toBeUndefined();
  });

  it("forwards Upstash-Forward-* headers and the content type, nothing else", () => {
    const spec = parsePublish(
      input({
        "upstash-forward-x-ml-topic": "orders_v2",
        "upstash-forward-host": "evil.example",
        "content-type": "text/plain",
        "x-not-forwarded": "1",
        "upstash-retries": "5",
      }),
    );
    expect(spec.headers).toEqual({ "x-ml-topic": "orders_v2", "content-type": "text/plain" });
    expect(spec.maxRetries).toBe(5);
  });

  it("lets Upstash-Not-Before win over Upstash-Delay", () => {
    expect(parsePublish(input({ "upstash-delay": "1m" })).notBefore).toBe(NOW + 60_000);
    expect(parsePublish(input({ "upstash-delay": "1m", "upstash-not-before": "1800000000" })).notBefore).toBe(1_800_000_000_000);
  });

  it("parses callbacks with their own overrides", () => {
    const spec = parsePublish(
      input({
        "upstash-callback": "http://127.0.0.1:9/cb",
        "upstash-callback-retries": "0",
        "upstash-callback-forward-x-a": "1",
        "upstash-failure-callback": "http://127.0.0.1:9/fail",
        "upstash-failure-callback-method": "put",
      }),
    );
    expect(spec.callback).toMatchObject({ url: "http://127.0.0.1:9/cb", maxRetries: 0, headers: { "x-a": "1" } });
    expect(spec.failureCallback).toMatchObject({ url: "http://127.0.0.1:9/fail", method: "PUT" });
    expect(spec.failureCallback?.maxRetries).toBeUndefined();
  });

  it("derives content-based dedup keys from destination, headers and body", () => {
    const key = (body: string, headers: Record<string, string> = {}) => parsePublish(input({ "upstash-content-based-deduplication": "true", ...headers }, { body: Buffer.from(body) })).dedupKey;
    expect(key("a")).toBe(key("a"));
    expect(key("a")).not.toBe(key("b"));
    expect(key("a")).not.toBe(key("a", { "upstash-forward-x": "1" }));
    expect(key("a")).toBe(key("a", { "upstash-telemetry-sdk": "whatever" }));
  });

  it.each([
    [{ "upstash-method": "TRACE" }, "Upstash-Method"],
    [{ "upstash-delay": "soon" }, "Upstash-Delay"],
    [{ "upstash-not-before": "tomorrow" }, "Upstash-Not-Before"],
    [{ "upstash-retries": "-1" }, "Upstash-Retries"],
    [{ "upstash-retry-delay": "eval('1')" }, "Upstash-Retry-Delay"],
    [{ "upstash-timeout": "0s" }, "Upstash-Timeout"],
    [{ "upstash-callback": "not a url" }, "Upstash-Callback"],
  ])("rejects %j with a 400", (headers, message) => {
    expect(() => parsePublish(input(headers))).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }));
  });

  it("rejects URL-group and api destinations", () => {
    expect(() => parsePublish(input({}, { destination: "my-url-group" }))).toThrow(/only delivers to http/);
    expect(() => parsePublish(input({}, { destination: "api/llm" }))).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("decodes a percent-encoded destination", () => {
    expect(parsePublish(input({}, { destination: "http%3A%2F%2F127.0.0.1%3A9%2Fx" })).url).toBe("http://127.0.0.1:9/x");
  });
});

describe("signDelivery", () => {
  const receiver = new Receiver({ currentSigningKey: DEV_SIGNING_KEYS.current, nextSigningKey: DEV_SIGNING_KEYS.next });
  const url = "http://127.0.0.1:3100/qstash?x=1";
  const body = '{"héllo":"wörld"}';
  const signature = signDelivery({ key: DEV_SIGNING_KEYS.current, url, body: Buffer.from(body) });

  it("produces a JWT the official Receiver accepts", async () => {
    await expect(receiver.verify({ signature, body, url })).resolves.toBe(true);
  });

  it("binds the body and the destination", async () => {
    await expect(receiver.verify({ signature, body: `${body} `, url })).rejects.toThrow(/body hash/);
    await expect(receiver.verify({ signature, body, url: "http://127.0.0.1:3100/other" })).rejects.toThrow(/subject/);
  });

  it("carries the claims QStash documents", () => {
    const claims = JSON.parse(Buffer.from(signature.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: "Upstash", sub: url });
    expect(claims.exp).toBe((claims.iat as number) + 300);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toMatch(/^jwt_/);
  });

  it("is rejected by a receiver with other keys", async () => {
    const stranger = new Receiver({ currentSigningKey: "sig_a", nextSigningKey: "sig_b" });
    await expect(stranger.verify({ signature, body, url })).rejects.toThrow();
  });
});
