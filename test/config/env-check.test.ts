import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTokenKey } from "#core/token-cipher";
import { closedPort } from "../../jobs/test/support/resources";
import { startQStashServer, type QStashServer } from "#dev/qstash";
import { startRedisRestServer } from "#dev/redis-rest/server";
import type { RedisRestServer } from "#dev/redis-rest/server";
import { checkProductionEnv, parseEnvFile, probePostgres, probeProductionEnv, probeQstash, probeRedis, probeUpstashRest, wranglerVars, type ProductionEnv } from "#dev/deploy/env-check";

const secret = () => randomBytes(24).toString("base64url");
const neon = "ep-quiet-sun-123456.eu-central-1.aws.neon.tech";
const upstash = "eu1-example-12345.upstash.io";

/** A complete, plausible production configuration: the check must accept it as it is. */
function production(): ProductionEnv {
  const tokenKeys = generateTokenKey("k1");
  const app = { ML_APP_ID: "1234567890123456", ML_CLIENT_SECRET: secret(), TINY_CLIENT_ID: "tiny-app-autoecom", TINY_CLIENT_SECRET: secret() };
  const tomlVars = wranglerVars("production");
  return {
    worker: {
      ...tomlVars,
      DATABASE_URL: `postgres://app:${secret()}@${neon}/autoecom?sslmode=require`,
      UPSTASH_REDIS_REST_URL: `https://${upstash}`,
      UPSTASH_REDIS_REST_TOKEN: secret(),
      QSTASH_TOKEN: secret(),
      JOBS_PUBLIC_URL: "https://jobs.example.com",
      API_PUBLIC_URL: "https://api.example.com",
      JWT_SECRET: `${secret()}${secret()}`,
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      ML_REDIRECT_URI: "https://api.example.com/ml/auth/callback",
      TINY_REDIRECT_URI: "https://api.example.com/tinyerp/auth/callback",
      ...app,
    },
    jobs: {
      NODE_ENV: "production",
      DATABASE_URL: `postgres://app:${secret()}@${neon.replace(".", "-pooler.")}/autoecom?sslmode=require`,
      REDIS_URL: `rediss://default:${secret()}@${upstash}:6379`,
      JOBS_PUBLIC_URL: "https://jobs.example.com",
      QSTASH_CURRENT_SIGNING_KEY: `sig_${secret()}`,
      QSTASH_NEXT_SIGNING_KEY: `sig_${secret()}`,
      ADMIN_PASSWORD: secret(),
      METRICS_TOKEN: secret(),
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      ...app,
    },
    workerVarsInToml: new Set(Object.keys(tomlVars)),
  };
}

function breaking(side: "worker" | "jobs" | "both", changes: Record<string, string | undefined>): ProductionEnv {
  const env = production();
  for (const each of side === "both" ? (["worker", "jobs"] as const) : [side]) {
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete env[each][name];
      else env[each][name] = value;
    }
  }
  return env;
}

const examples = (path: string) => parseEnvFile(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"));

describe("npm run env:check, offline: every refusal names the variable and the fix", () => {
  it("accepts a complete production configuration", () => {
    expect(checkProductionEnv(production())).toEqual([]);
  });

  it("refuses the published local configuration on both sides, naming each variable and where to fix it, never a value", () => {
    const worker = { ...wranglerVars(), ...examples(".dev.vars.example") };
    const jobs = { ...examples(".env.example"), NODE_ENV: "production" };
    const refusals = checkProductionEnv({ worker, jobs, workerVarsInToml: new Set(Object.keys(wranglerVars("production"))) });
    const named = (side: string) => refusals.filter((r) => r.side === side).map((r) => r.variable);
    expect(named("worker")).toEqual(
      expect.arrayContaining([
        "JWT_SECRET",
        "TOKEN_ENCRYPTION_KEYS",
        "QSTASH_TOKEN",
        "UPSTASH_REDIS_REST_TOKEN",
        "DATABASE_URL",
        "NEON_HTTP_ENDPOINT",
        "NEON_WS_PROXY",
        "ML_APP_ID",
        "ML_CLIENT_SECRET",
        "TINY_CLIENT_ID",
        "TINY_CLIENT_SECRET",
        "API_PUBLIC_URL",
        "JOBS_PUBLIC_URL",
      ]),
    );
    expect(named("jobs")).toEqual(
      expect.arrayContaining([
        "DATABASE_URL",
        "REDIS_URL",
        "JOBS_PUBLIC_URL",
        "QSTASH_CURRENT_SIGNING_KEY",
        "QSTASH_NEXT_SIGNING_KEY",
        "ADMIN_PASSWORD",
        "METRICS_TOKEN",
        "TOKEN_ENCRYPTION_KEYS",
        "ML_APP_ID",
        "ML_CLIENT_SECRET",
        "ML_API_URL",
        "TINY_CLIENT_ID",
        "TINY_CLIENT_SECRET",
      ]),
    );
    for (const refusal of refusals) {
      expect(refusal.fix, refusal.variable).toMatch(refusal.side === "jobs" ? /in jobs\.env on the VPS$/ : /(wrangler secret put|wrangler\.toml)/);
      expect(refusal.fix).toContain(refusal.variable);
      for (const value of [...Object.values(worker), ...Object.values(jobs)].filter((v) => v.length >= 12)) {
        expect(`${refusal.problem} ${refusal.fix}`, `${refusal.variable} quotes a value`).not.toContain(value);
      }
    }
  });

  it.each([
    ["worker", { API_PUBLIC_URL: undefined }, "API_PUBLIC_URL", "is not set", /wrangler secret put API_PUBLIC_URL/],
    ["worker", { TINY_CLIENT_SECRET: undefined }, "TINY_CLIENT_SECRET", "is not set", /Configurações → Aplicativos/],
    ["jobs", { REDIS_URL: undefined }, "REDIS_URL", "is not set", /rediss:\/\/default/],
    ["worker", { CORS_ORIGINS: "https://app.example.com,http://localhost:3000" }, "CORS_ORIGINS", "local origin", /wrangler\.toml/],
    ["worker", { NEON_WS_PROXY: "127.0.0.1:5488/v2" }, "NEON_WS_PROXY", "local Neon stand-in", /remove it/],
    ["worker", { DATABASE_URL: `postgres://app:x@${neon}/autoecom` }, "DATABASE_URL", "sslmode=require", /Neon console/],
    ["both", { ML_APP_ID: "5503910054141466" }, "ML_APP_ID", "local default", /developers\.mercadolibre\.com/],
    ["jobs", { TINY_CLIENT_SECRET: "autoecom-sandbox-secret" }, "TINY_CLIENT_SECRET", "local default", /jobs\.env/],
    ["jobs", { ADMIN_PASSWORD: "short" }, "ADMIN_PASSWORD", "at least 16 characters", /openssl rand/],
    ["jobs", { METRICS_TOKEN: "same-as-the-admin-password", ADMIN_PASSWORD: "same-as-the-admin-password" }, "METRICS_TOKEN", "not ADMIN_PASSWORD", /jobs\.env/],
    ["jobs", { JOBS_PUBLIC_URL: "http://jobs.example.com" }, "JOBS_PUBLIC_URL", "https://", /Caddy/],
    ["jobs", { TINY_API_URL: "http://api.tiny.com.br/public-api/v3" }, "TINY_API_URL", "https://", /jobs\.env/],
    ["jobs", { REDIS_URL: `redis://default:x@${upstash}:6379` }, "REDIS_URL", "rediss://", /jobs\.env/],
    ["jobs", { REDIS_URL: "rediss://default:x@redis.example.net:6379" }, "REDIS_URL", "shared Tiny quota", /same Upstash database/],
    ["jobs", { REDIS_KEY_PREFIX: "autoecom-jobs" }, "REDIS_KEY_PREFIX", "same value", /Tiny quota/],
    ["jobs", { TOKEN_ENCRYPTION_KEYS: generateTokenKey("k1") }, "TOKEN_ENCRYPTION_KEYS", "same value", /same list on both sides/],
    ["jobs", { DATABASE_URL: "postgres://app:x@ep-other-654321.eu-central-1.aws.neon.tech/autoecom?sslmode=require" }, "DATABASE_URL", "not the Worker's database", /jobs\.env/],
  ] as const)("%s %o → refuses %s", (side, changes, variable, problem, fix) => {
    const refusals = checkProductionEnv(breaking(side, changes));
    const sides = side === "both" ? (["worker", "jobs"] as const) : [side];
    expect(refusals).toEqual(sides.map((each) => ({ side: each, variable, problem: expect.stringContaining(problem), fix: expect.stringMatching(fix) })));
  });
});

describe("npm run env:check, online: QStash, Neon and Upstash answer (against the local stand-ins)", () => {
  let qstash: QStashServer;
  let redisRest: RedisRestServer;
  const restToken = secret();
  beforeAll(async () => {
    qstash = await startQStashServer({ port: 0, token: secret(), signingKeys: { current: `sig_${secret()}`, next: `sig_${secret()}` } });
    redisRest = await startRedisRestServer({ port: 0, token: restToken });
  });
  afterAll(async () => {
    await qstash?.close();
    await redisRest?.close();
  });

  it("QStash: a working token and the account's own signing keys pass; anything else names the variable", async () => {
    expect(await probeQstash({ url: qstash.url, token: qstash.token, signingKeys: qstash.signingKeys })).toEqual([]);
    expect(await probeQstash({ url: qstash.url, token: "wrong" })).toEqual([{ variable: "QSTASH_TOKEN", problem: expect.stringContaining("401") }]);
    expect(await probeQstash({ url: qstash.url, token: qstash.token, signingKeys: { current: "sig_other", next: qstash.signingKeys.next } })).toEqual([
      { variable: "QSTASH_CURRENT_SIGNING_KEY", problem: expect.stringContaining("not the current signing key") },
    ]);
    expect(await probeQstash({ url: `http://127.0.0.1:${await closedPort()}`, token: qstash.token })).toEqual([{ variable: "QSTASH_URL", problem: expect.stringContaining("did not answer") }]);
  });

  it("Postgres: a reachable database passes; a refused connection or a missing database names DATABASE_URL", async () => {
    expect(await probePostgres("postgres://postgres@127.0.0.1:5432/postgres")).toEqual([]);
    expect(await probePostgres(`postgres://postgres@127.0.0.1:${await closedPort()}/postgres`)).toEqual([{ variable: "DATABASE_URL", problem: expect.stringContaining("ECONNREFUSED") }]);
    expect(await probePostgres(`postgres://postgres@127.0.0.1:5432/autoecom_missing_${randomBytes(4).toString("hex")}`)).toEqual([
      { variable: "DATABASE_URL", problem: expect.stringContaining("3D000") },
    ]);
  });

  it("Upstash REST and BullMQ's Redis: PONG passes; a refused token or connection names the variable", async () => {
    expect(await probeUpstashRest(redisRest.url, restToken)).toEqual([]);
    expect(await probeUpstashRest(redisRest.url, "wrong")).toEqual([{ variable: "UPSTASH_REDIS_REST_TOKEN", problem: expect.stringContaining("401") }]);
    expect(await probeRedis("redis://127.0.0.1:6379")).toEqual([]);
    expect(await probeRedis(`redis://127.0.0.1:${await closedPort()}`)).toEqual([{ variable: "REDIS_URL", problem: expect.stringContaining("ECONNREFUSED") }]);
  });

  it("probes every service a configuration names, and attributes each failure to its side with the fix", async () => {
    const env = production();
    Object.assign(env.worker, {
      QSTASH_URL: qstash.url,
      QSTASH_TOKEN: qstash.token,
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
      UPSTASH_REDIS_REST_URL: redisRest.url,
      UPSTASH_REDIS_REST_TOKEN: restToken,
    });
    Object.assign(env.jobs, {
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
      REDIS_URL: "redis://127.0.0.1:6379",
      QSTASH_CURRENT_SIGNING_KEY: qstash.signingKeys.current,
      QSTASH_NEXT_SIGNING_KEY: qstash.signingKeys.next,
    });
    expect(await probeProductionEnv(env)).toEqual([]);
    env.jobs.QSTASH_NEXT_SIGNING_KEY = `sig_${secret()}`;
    env.worker.UPSTASH_REDIS_REST_TOKEN = secret();
    expect(await probeProductionEnv(env)).toEqual(
      expect.arrayContaining([
        { side: "jobs", variable: "QSTASH_NEXT_SIGNING_KEY", problem: expect.stringContaining("next signing key"), fix: expect.stringContaining("jobs.env") },
        { side: "worker", variable: "UPSTASH_REDIS_REST_TOKEN", problem: expect.stringContaining("401"), fix: expect.stringContaining("wrangler secret put UPSTASH_REDIS_REST_TOKEN") },
      ]),
    );
  });
});

describe("the env:check command", () => {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), "autoecom-env-check-"));
  const write = (name: string, values: Record<string, string>) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `# ${name}\n${Object.entries(values)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n`,
    );
    return path;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 on a complete configuration (JOBS_PUBLIC_URL from compose's JOBS_DOMAIN) and 1 naming each refusal and its fix", async () => {
    const env = production();
    const tomlVars = wranglerVars("production");
    const secrets = Object.fromEntries(Object.entries(env.worker).filter(([name]) => !(name in tomlVars)));
    const { JOBS_PUBLIC_URL: _, ...jobs } = env.jobs;
    const args = [
      "tsx",
      "dev/deploy/env-check-cli.ts",
      "--worker",
      write("worker.env", secrets),
      "--jobs",
      write("jobs.env", jobs),
      "--compose",
      write(".env", { JOBS_DOMAIN: "jobs.example.com" }),
      "--offline",
    ];
    const ok = await run("npx", args);
    expect(ok.stdout).toContain("✓ production configuration");
    write("jobs.env", { ...jobs, METRICS_TOKEN: "autoecom-local-metrics" });
    const failed = await run("npx", args).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("✗ jobs METRICS_TOKEN");
    expect(failed?.stderr).toContain("fix: generate one: openssl rand -base64 24 (not the admin password); set METRICS_TOKEN in jobs.env on the VPS");
  }, 90_000);
});
