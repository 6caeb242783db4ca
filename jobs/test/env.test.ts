import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EnvError, localAdminPassword, localQstashSigningKeys, parseJobsEnv } from "../src/env";

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
      admin: { username: "admin", password: localAdminPassword },
      shutdownTimeoutMs: 25_000,
      logLevel: "info",
    });
  });

  it("treats empty strings as unset and strips a trailing slash from the public URL", () => {
    const env = parseJobsEnv({ JOBS_PORT: "", LOG_LEVEL: "", JOBS_PUBLIC_URL: "https://jobs.example.com/" });
    expect(env.port).toBe(8788);
    expect(env.logLevel).toBe("info");
    expect(env.publicUrl).toBe("https://jobs.example.com");
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
    expect(envError.problems.map((p) => p.variable).sort()).toEqual([
      "DATABASE_URL",
      "JOBS_PORT",
      "LOG_LEVEL",
      "REDIS_KEY_PREFIX",
      "REDIS_URL",
      "SHUTDOWN_TIMEOUT_MS",
    ]);
    expect(envError.message).toContain("JOBS_PORT");
    expect(envError.message).not.toContain("eighty");
  });

  it("refuses local defaults in production", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([
      "ADMIN_PASSWORD",
      "JOBS_PUBLIC_URL",
      "QSTASH_CURRENT_SIGNING_KEY",
      "QSTASH_NEXT_SIGNING_KEY",
    ]);
    const env = parseJobsEnv({
      NODE_ENV: "production",
      JOBS_PUBLIC_URL: "https://jobs.example.com",
      ADMIN_PASSWORD: "a-real-password",
      QSTASH_CURRENT_SIGNING_KEY: "sig_real_current",
      QSTASH_NEXT_SIGNING_KEY: "sig_real_next",
    });
    expect(env.nodeEnv).toBe("production");
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
