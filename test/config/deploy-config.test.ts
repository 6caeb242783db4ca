import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { generateTokenKey } from "#core/token-cipher";
import { includesPublishedTokenKey, localSecrets } from "#core/unsafe-config";
import { DEV_SIGNING_KEYS, DEV_TOKEN } from "#dev/qstash";
import { ConfigError, readConfig } from "../../worker/src/env";

/** KEY=value lines of an env file, as wrangler and docker read them. */
function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

const wranglerVars = (env?: string) => unstable_readConfig({ config: "wrangler.toml", ...(env ? { env } : {}) }, { hideWarnings: true }).vars as Record<string, string>;

function refusedVariables(bindings: Record<string, string | undefined>): string[] {
  try {
    readConfig(bindings);
  } catch (error) {
    if (error instanceof ConfigError) return error.fields.map((field) => field.path.replace(/^env\./, "")).sort();
    throw error;
  }
  return [];
}

describe("the published examples and the deploy configuration", () => {
  it("the examples hold exactly the secrets the guards refuse (a changed example would slip past them)", () => {
    const devVars = envFile(".dev.vars.example");
    expect(devVars.JWT_SECRET).toBe(localSecrets.jwtSecret);
    expect(devVars.QSTASH_TOKEN).toBe(localSecrets.qstashToken);
    expect(devVars.UPSTASH_REDIS_REST_TOKEN).toBe(localSecrets.redisRestToken);
    expect(includesPublishedTokenKey(devVars.TOKEN_ENCRYPTION_KEYS!)).toBe(true);
    const jobsEnv = envFile(".env.example");
    expect(jobsEnv.QSTASH_CURRENT_SIGNING_KEY).toBe(localSecrets.qstashSigningKeys.current);
    expect(jobsEnv.QSTASH_NEXT_SIGNING_KEY).toBe(localSecrets.qstashSigningKeys.next);
    expect(jobsEnv.ADMIN_PASSWORD).toBe(localSecrets.jobsAdminPassword);
    expect(jobsEnv.METRICS_TOKEN).toBe(localSecrets.jobsMetricsToken);
    expect(includesPublishedTokenKey(jobsEnv.TOKEN_ENCRYPTION_KEYS!)).toBe(true);
    expect({ token: DEV_TOKEN, keys: DEV_SIGNING_KEYS }).toEqual({ token: localSecrets.qstashToken, keys: localSecrets.qstashSigningKeys });
  });

  it("wrangler.toml's local [vars] with .dev.vars.example, deployed as production, are refused", () => {
    const local = { ...wranglerVars(), ...envFile(".dev.vars.example"), APP_ENV: "production" };
    expect(refusedVariables(local)).toEqual(
      [
        "API_PUBLIC_URL",
        "CORS_ORIGINS",
        "DATABASE_URL",
        "JOBS_PUBLIC_URL",
        "JWT_SECRET",
        "ML_API_URL",
        "ML_AUTH_URL",
        "ML_DASHBOARD_URL",
        "ML_REDIRECT_URI",
        "NEON_HTTP_ENDPOINT",
        "NEON_WS_PROXY",
        "QSTASH_TOKEN",
        "QSTASH_URL",
        "TINY_API_URL",
        "TINY_AUTH_URL",
        "TINY_DASHBOARD_URL",
        "TINY_REDIRECT_URI",
        "TOKEN_ENCRYPTION_KEYS",
        "UPSTASH_REDIS_REST_TOKEN",
        "UPSTASH_REDIS_REST_URL",
      ].sort(),
    );
    expect(refusedVariables({ ...local, APP_ENV: "development" })).toEqual([]);
  });

  it("[env.production] passes with real secrets, allows only ML's notification addresses and keeps invocation logs off", () => {
    const production = wranglerVars("production");
    expect(production.WEBHOOK_IP_ALLOWLIST).toBe("ml");
    const secrets = {
      DATABASE_URL: "postgres://app:secret@ep-quiet-sun-123456.eu-central-1.aws.neon.tech/autoecom?sslmode=require",
      UPSTASH_REDIS_REST_URL: "https://eu1-example-12345.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: crypto.randomUUID(),
      QSTASH_TOKEN: crypto.randomUUID(),
      JWT_SECRET: `${crypto.randomUUID()}${crypto.randomUUID()}`,
      JOBS_PUBLIC_URL: "https://jobs.example.com",
      TOKEN_ENCRYPTION_KEYS: generateTokenKey("k1"),
    };
    expect(refusedVariables({ ...production, ...secrets })).toEqual([]);
    expect(readConfig({ ...production, ...secrets }).WEBHOOK_IP_ALLOWLIST).toEqual(["ml"]);
    for (const env of [undefined, "production"]) {
      const { observability } = unstable_readConfig({ config: "wrangler.toml", ...(env ? { env } : {}) }, { hideWarnings: true });
      expect(observability?.logs?.invocation_logs, String(env)).toBe(false);
    }
  });
});
