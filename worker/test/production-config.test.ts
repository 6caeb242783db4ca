import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generateTokenKey } from "#core/token-cipher";
import { localSecrets } from "#core/unsafe-config";
import worker from "../src/index";
import { readConfig } from "../src/env";

const testBindings = env as unknown as Record<string, string>;
const random = () => crypto.randomUUID().replaceAll("-", "");

/** What an operator deploys: real secrets, https endpoints, no local stand-ins. */
function productionBindings(): Record<string, string | undefined> {
  return {
    APP_ENV: "production",
    LOG_LEVEL: "error",
    DATABASE_URL: "postgres://app:secret@ep-quiet-sun-123456.eu-central-1.aws.neon.tech/autoecom?sslmode=require",
    UPSTASH_REDIS_REST_URL: "https://eu1-example-12345.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: random(),
    QSTASH_URL: "https://qstash.upstash.io",
    QSTASH_TOKEN: random(),
    JOBS_PUBLIC_URL: "https://jobs.example.com",
    API_PUBLIC_URL: "https://api.example.com",
    JWT_SECRET: `${random()}${random()}`,
    TOKEN_ENCRYPTION_KEYS: generateTokenKey("k1"),
    CORS_ORIGINS: "https://app.example.com",
    ML_APP_ID: "1234567890",
    ML_CLIENT_SECRET: random(),
    ML_REDIRECT_URI: "https://api.example.com/ml/auth/callback",
    ML_DASHBOARD_URL: "https://app.example.com/settings/mercadolibre",
    TINY_CLIENT_ID: "autoecom",
    TINY_CLIENT_SECRET: random(),
    TINY_REDIRECT_URI: "https://api.example.com/tinyerp/auth/callback",
    TINY_DASHBOARD_URL: "https://app.example.com/settings/tiny",
    WEBHOOK_IP_ALLOWLIST: "ml",
  };
}

/** The values a local run uses (wrangler.toml [vars], .dev.vars.example, the local stack): each fine locally, none in production. */
const localValues: Record<string, string> = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/autoecom",
  NEON_HTTP_ENDPOINT: "http://127.0.0.1:4444/sql",
  NEON_WS_PROXY: "127.0.0.1:5488/v2",
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: localSecrets.redisRestToken,
  QSTASH_URL: "http://127.0.0.1:8080",
  QSTASH_TOKEN: localSecrets.qstashToken,
  JOBS_PUBLIC_URL: "http://127.0.0.1:8788",
  API_PUBLIC_URL: "http://127.0.0.1:8787",
  JWT_SECRET: localSecrets.jwtSecret,
  TOKEN_ENCRYPTION_KEYS: localSecrets.tokenEncryptionKeys,
  CORS_ORIGINS: "http://localhost:3000,http://127.0.0.1:3000",
  ML_API_URL: "http://127.0.0.1:8791",
  ML_AUTH_URL: "http://127.0.0.1:8791",
  ML_REDIRECT_URI: "http://127.0.0.1:8787/ml/auth/callback",
  ML_DASHBOARD_URL: "http://localhost:3000/settings/mercadolibre",
  TINY_API_URL: "http://127.0.0.1:8792/public-api/v3",
  TINY_AUTH_URL: "http://127.0.0.1:8792/realms/tiny/protocol/openid-connect",
  TINY_REDIRECT_URI: "http://127.0.0.1:8787/tinyerp/auth/callback",
  TINY_DASHBOARD_URL: "http://localhost:3000/settings/tiny",
};

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

async function call(bindings: Record<string, string | undefined>, path = "/openapi.json", init: RequestInit = {}) {
  const response = await worker.fetch(new Request(`https://api.example.com${path}`, { headers: { "cf-connecting-ip": "192.0.2.1" }, ...init }), bindings);
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text };
}

async function refusal(bindings: Record<string, string | undefined>, path?: string, init?: RequestInit) {
  const { status, contentType, text } = await call(bindings, path, init);
  expect(status, text).toBe(500);
  expect(contentType).toContain("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem.code).toBe("bad_environment");
  return { problem, text, variables: (problem.errors ?? []).map((error) => error.path.replace(/^env\./, "")).sort() };
}

describe("production configuration", () => {
  it("accepts real secrets, https endpoints and a real dashboard origin", async () => {
    const { status, text } = await call(productionBindings());
    expect(status, text).toBe(200);
  });

  it("refuses each value a local run uses, naming the variable and never its value", async () => {
    for (const [variable, value] of Object.entries(localValues)) {
      const { problem, text, variables } = await refusal({ ...productionBindings(), [variable]: value });
      expect(variables, variable).toEqual([variable]);
      expect(problem.detail).toContain(variable);
      for (const part of value.split(",")) expect(text, variable).not.toContain(part);
    }
  });

  it("refuses the published token key under another id and behind a current one", async () => {
    const published = localSecrets.tokenEncryptionKeys.split(":")[1]!;
    const { variables, text } = await refusal({ ...productionBindings(), TOKEN_ENCRYPTION_KEYS: `${generateTokenKey("k2")},old:${published}` });
    expect(variables).toEqual(["TOKEN_ENCRYPTION_KEYS"]);
    expect(text).not.toContain(published);
  });

  it("refuses the Neon stand-ins whatever they point at", async () => {
    const { variables } = await refusal({ ...productionBindings(), NEON_HTTP_ENDPOINT: "https://sql.example.com/sql", NEON_WS_PROXY: "proxy.example.com/v2" });
    expect(variables).toEqual(["NEON_HTTP_ENDPOINT", "NEON_WS_PROXY"]);
  });

  it("refuses plain-http and loopback https public URLs", async () => {
    const bindings = {
      ...productionBindings(),
      API_PUBLIC_URL: "http://api.example.com",
      JOBS_PUBLIC_URL: "http://jobs.example.com",
      UPSTASH_REDIS_REST_URL: "https://localhost:8079",
      QSTASH_URL: "https://127.0.0.1:8080",
    };
    const { variables } = await refusal(bindings);
    expect(variables).toEqual(["API_PUBLIC_URL", "JOBS_PUBLIC_URL", "QSTASH_URL", "UPSTASH_REDIS_REST_URL"]);
  });

  it("refuses an unset, wildcard or local CORS_ORIGINS", async () => {
    for (const CORS_ORIGINS of [undefined, "", "*", "https://app.example.com,*", "https://app.example.com,http://localhost:3000", "https://127.0.0.1"]) {
      const { variables } = await refusal({ ...productionBindings(), CORS_ORIGINS });
      expect(variables, String(CORS_ORIGINS)).toEqual(["CORS_ORIGINS"]);
    }
  });

  it("refuses the dashboard defaults, which only suit a local dashboard", async () => {
    const { variables } = await refusal({ ...productionBindings(), ML_DASHBOARD_URL: undefined, TINY_DASHBOARD_URL: undefined });
    expect(variables).toEqual(["ML_DASHBOARD_URL", "TINY_DASHBOARD_URL"]);
  });

  it("names every unsafe variable at once, with the whole local configuration", async () => {
    const { variables } = await refusal({ ...productionBindings(), ...localValues });
    expect(variables).toEqual(Object.keys(localValues).sort());
  });

  it("answers every request with the refusal: health, login, webhooks, unknown routes, preflights", async () => {
    const bindings = { ...productionBindings(), JWT_SECRET: localSecrets.jwtSecret };
    const json = { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": "192.0.2.1" } };
    await refusal(bindings, "/health");
    await refusal(bindings, "/auth/login", { ...json, body: JSON.stringify({ email: "a@example.com", password: "a long password" }) });
    await refusal(bindings, "/webhooks/ml", { ...json, body: "{}" });
    await refusal(bindings, "/no-such-route");
    await refusal(bindings, "/auth/me", { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "GET" } });
  });

  it("reports invalid values as bad_environment too, without echoing them", async () => {
    const { variables, text } = await refusal({ ...productionBindings(), JWT_SECRET: "too-short-secret-value" });
    expect(variables).toEqual(["JWT_SECRET"]);
    expect(text).not.toContain("too-short-secret-value");
  });

  it("leaves local and test runs alone: the same local values pass outside production", async () => {
    for (const APP_ENV of ["development", "test"]) {
      const { status, text } = await call({ ...productionBindings(), ...localValues, APP_ENV });
      expect(status, `${APP_ENV}: ${text}`).toBe(200);
    }
    expect(readConfig(testBindings).APP_ENV).toBe("test");
  });
});
