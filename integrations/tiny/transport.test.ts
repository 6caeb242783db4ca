import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "#core/log";
import { TinyApiError } from "./errors";
import { createMemoryQuotaStore, createTinyQuota } from "./quota";
import { kitModel, productModel } from "./schemas";
import { tinyCall, type TinyAuthProvider, type TinyTransportDeps } from "./transport";

// A body our model refuses must be fixable from the error and its log line alone: which field,
// what was expected, and what Tiny sent around it, with customer data and tokens masked.

const auth: TinyAuthProvider = {
  current: async () => ({ accessToken: "test-access-token", quotaKey: "59573950000158" }),
  renew: async () => {
    throw new Error("not expected to renew");
  },
};

function deps(body: unknown): TinyTransportDeps {
  return {
    config: { apiUrl: "https://tiny.invalid/public-api/v3", timeoutMs: 5_000, maxAttempts: 1 },
    quota: createTinyQuota({ store: createMemoryQuotaStore(), settings: { readsPerMinute: 1_000, writesPerMinute: 1_000, burstPerSecond: 100, maxWaitMs: 0 } }),
    log: createLogger({}, "warn"),
    // Tiny itself, answering one fixed body: the network, not one of our modules.
    fetch: async () => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } }),
  };
}

async function failure(body: unknown, call: Parameters<typeof tinyCall>[2]): Promise<TinyApiError> {
  const error = await tinyCall(deps(body), auth, call).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TinyApiError);
  return error as TinyApiError;
}

afterEach(() => vi.restoreAllMocks());

describe("a Tiny body we cannot read", () => {
  it("names the field path in the error and keeps a redacted sample of what was sent around it", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: string) => warnings.push(line));
    const body = [
      { produto: { id: 11, sku: "A" }, quantidade: 1 },
      { produto: { id: null, sku: "B", descricao: "comprador@example.com 123.456.789-09" }, quantidade: 2 },
    ];

    const error = await failure(body, { method: "GET", path: "/produtos/357281337/kit", schema: kitModel });

    expect(error.code).toBe("bad_gateway");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("GET /produtos/{id}/kit");
    expect(error.message).toContain("[1].produto.id");
    expect(error.bodySample).toContain('"sku":"B"');
    expect(error.bodySample).toContain("[email]");
    expect(error.bodySample).toContain("[cpf]");
    expect(error.bodySample).not.toContain("comprador@example.com");
    expect(error.bodySample).not.toContain("123.456.789-09");

    const logged = warnings.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === "tiny answered an unexpected body");
    expect(logged).toMatchObject({ endpoint: "GET /produtos/{id}/kit", paths: ["[1].produto.id"], sample: error.bodySample });
    expect(warnings.join("\n")).not.toContain("comprador@example.com");
  });

  it("keeps the message free of the body's values: only paths and what the model expected", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = await failure({ id: "not-an-id", descricao: "Cliente fulano@example.com" }, { method: "GET", path: "/produtos/7", schema: productModel });
    expect(error.message).toMatch(/^Tiny answered GET \/produtos\/\{id\} with a body we cannot read \(id: .+\)\.$/);
    expect(error.message).not.toContain("not-an-id");
    expect(error.message).not.toContain("fulano");
  });
});
