import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { localSecrets } from "#core/unsafe-config";
import { generateTokenKey } from "#core/token-cipher";
import { EnvError, localAdminPassword, localMetricsToken, localQstashSigningKeys, parseJobsEnv } from "../src/env";

function problemsOf(record: Record<string, string | undefined>): string[] {
  try {
    parseJobsEnv(record);
  } catch (error) {
    if (error instanceof EnvError) return error.problems.map((p) => p.variable).sort();
    throw error;
  }
  return [];
}

describe("jobs env", () => {
  it("has local defaults that need no configuration", () => {
    const env = parseJobsEnv({});
    expect(env).toMatchObject({
      nodeEnv: "development",
      databaseUrl: "postgres://postgres@127.0.0.1:5432/autoecom",
      redisUrl: "redis://127.0.0.1:6379",
      redisKeyPrefix: "autoecom",
      host: "127.0.0.1",
      port: 8788,
      publicUrl: "http://127.0.0.1:8788",
      qstash: { currentSigningKey: localQstashSigningKeys.current, nextSigningKey: localQstashSigningKeys.next },
      admin: { host: "127.0.0.1", port: 8789, username: "admin", password: localAdminPassword },
      metricsToken: localMetricsToken,
      shutdownTimeoutMs: 25_000,
      logLevel: "info",
    });
  });

  it("treats empty strings as unset and strips a trailing slash from the public URL", () => {
    const env = parseJobsEnv({ JOBS_PORT: "", LOG_LEVEL: "", JOBS_PUBLIC_URL: "http://localhost:8788/" });
    expect(env.port).toBe(8788);
    expect(env.logLevel).toBe("info");
    expect(env.publicUrl).toBe("http://localhost:8788");
  });

  it("lists every invalid variable, without echoing values", () => {
    let error: unknown;
    try {
      parseJobsEnv({
        JOBS_PORT: "eighty",
        REDIS_URL: "http://127.0.0.1:6379",
        DATABASE_URL: "not a url",
        LOG_LEVEL: "loud",
        REDIS_KEY_PREFIX: "has:colon",
        SHUTDOWN_TIMEOUT_MS: "-1",
        ADMIN_PASSWORD: "super-secret-value",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvError);
    const envError = error as EnvError;
    expect(envError.problems.map((p) => p.variable).sort()).toEqual(["DATABASE_URL", "JOBS_PORT", "LOG_LEVEL", "REDIS_KEY_PREFIX", "REDIS_URL", "SHUTDOWN_TIMEOUT_MS"]);
    expect(envError.message).toContain("JOBS_PORT");
    expect(envError.message).not.toContain("eighty");
  });

  const realSecrets = {
    ADMIN_PASSWORD: "a-real-admin-password",
    METRICS_TOKEN: "a-real-metrics-token",
    QSTASH_CURRENT_SIGNING_KEY: "sig_real_current",
    QSTASH_NEXT_SIGNING_KEY: "sig_real_next",
    TOKEN_ENCRYPTION_KEYS: generateTokenKey("k1"),
  };
  const localDefaults = ["ADMIN_PASSWORD", "METRICS_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"];

  it("refuses local defaults in production", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([...localDefaults, "JOBS_PUBLIC_URL"].sort());
    // A loopback public URL does not make production local.
    expect(problemsOf({ NODE_ENV: "production", JOBS_PUBLIC_URL: "http://127.0.0.1:8788" })).toEqual(localDefaults);
    const env = parseJobsEnv({ NODE_ENV: "production", JOBS_PUBLIC_URL: "https://jobs.example.com", ...realSecrets });
    expect(env.nodeEnv).toBe("production");
  });

  it("refuses the published keys and passwords whenever QStash reaches it beyond loopback, whatever NODE_ENV says", () => {
    for (const NODE_ENV of ["development", "test", undefined]) {
      expect(problemsOf({ NODE_ENV, JOBS_PUBLIC_URL: "https://jobs.example.com" })).toEqual(localDefaults);
      expect(problemsOf({ NODE_ENV, JOBS_PUBLIC_URL: "http://203.0.113.7:8788", TOKEN_ENCRYPTION_KEYS: localSecrets.tokenEncryptionKeys })).toEqual([...localDefaults, "TOKEN_ENCRYPTION_KEYS"].sort());
    }
    expect(parseJobsEnv({ NODE_ENV: "development", JOBS_PUBLIC_URL: "https://jobs.example.com", ...realSecrets }).publicUrl).toBe("https://jobs.example.com");
  });

  it("refuses them when either listener binds beyond loopback", () => {
    expect(problemsOf({ JOBS_HOST: "0.0.0.0" })).toEqual(localDefaults);
    expect(problemsOf({ JOBS_ADMIN_HOST: "10.0.0.5" })).toEqual(localDefaults);
    expect(parseJobsEnv({ JOBS_HOST: "0.0.0.0", JOBS_ADMIN_HOST: "0.0.0.0", ...realSecrets }).admin.host).toBe("0.0.0.0");
  });

  it("allows the local defaults on every loopback spelling", () => {
    for (const url of ["http://127.0.0.1:8788", "http://localhost:8788", "http://[::1]:8788", "http://127.8.0.1"]) {
      expect(problemsOf({ JOBS_PUBLIC_URL: url, JOBS_HOST: "localhost", TOKEN_ENCRYPTION_KEYS: localSecrets.tokenEncryptionKeys })).toEqual([]);
    }
  });

  it("refuses a short admin password, a short metrics token or one equal to the admin password", () => {
    const exposed = { ...realSecrets, JOBS_PUBLIC_URL: "https://jobs.example.com" };
    expect(problemsOf({ ...exposed, ADMIN_PASSWORD: "fifteen-chars!!" })).toEqual(["ADMIN_PASSWORD"]);
    expect(problemsOf({ ...exposed, ADMIN_PASSWORD: "sixteen-chars!!!" })).toEqual([]);
    expect(problemsOf({ ...exposed, METRICS_TOKEN: "short" })).toEqual(["METRICS_TOKEN"]);
    expect(problemsOf({ ...exposed, METRICS_TOKEN: exposed.ADMIN_PASSWORD })).toEqual(["METRICS_TOKEN"]);
  });

  it("recognises the published token key under another id, spelling or position in the keyring", () => {
    const published = localSecrets.tokenEncryptionKeys.split(":")[1]!;
    const urlSafe = published.replaceAll("+", "-").replaceAll("/", "_");
    const exposed = { ...realSecrets, JOBS_PUBLIC_URL: "https://jobs.example.com" };
    expect(problemsOf({ ...exposed, TOKEN_ENCRYPTION_KEYS: `${generateTokenKey("new")},old:${urlSafe}` })).toEqual(["TOKEN_ENCRYPTION_KEYS"]);
  });

  it("names the variables but never their values", () => {
    let error: unknown;
    try {
      parseJobsEnv({ JOBS_PUBLIC_URL: "https://jobs.example.com", ADMIN_PASSWORD: "short-secret", TOKEN_ENCRYPTION_KEYS: localSecrets.tokenEncryptionKeys });
    } catch (caught) {
      error = caught;
    }
    const message = (error as EnvError).message;
    expect(message).toContain("TOKEN_ENCRYPTION_KEYS");
    expect(message).not.toContain("short-secret");
    expect(message).not.toContain(localSecrets.tokenEncryptionKeys.split(":")[1]);
    expect(message).not.toContain(localQstashSigningKeys.current);
  });

  it(".env.example holds local defaults only: accepted as is, refused once QStash reaches it from outside", () => {
    const example = Object.fromEntries(
      readFileSync(new URL("../../.env.example", import.meta.url), "utf8")
        .split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(problemsOf(example)).toEqual([]);
    expect(problemsOf({ ...example, JOBS_PUBLIC_URL: "https://jobs.example.com" })).toEqual([...localDefaults, "TOKEN_ENCRYPTION_KEYS"].sort());
  });

  it("makes the CLI exit 1 with the bad variables on stderr", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "jobs/src/main.ts"], {
      env: { PATH: process.env.PATH, JOBS_PORT: "eighty", NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("Invalid jobs configuration");
    expect(stderr).toContain("JOBS_PORT");
    expect(stderr).toContain("ADMIN_PASSWORD");
  });
});
