import { fileURLToPath } from "node:url";
import { localSecrets } from "#core/unsafe-config";
import { ensureDatabase, migrateDatabase } from "#db/migrate";
import type { RunningServer } from "../lib/server";
import { startNeonHttpServer, startNeonWsProxy } from "../neon";
import { startQStashServer } from "../qstash/server";
import { startRedisRestServer } from "../redis-rest";
import { startMlSandbox } from "../sandbox/ml";
import { startTinySandbox } from "../sandbox/tiny";
import { startChild, type ChildHandle } from "./child";
import type { StackConfig } from "./config";
import { assertPortsFree, waitForHttp } from "./ports";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface StartStackOptions {
  /** Print the children's output (the dev console); tests keep it quiet. */
  quiet?: boolean;
  /** The sandboxes are part of `npm run dev`; some tests do not need them. */
  sandboxes?: boolean;
  readyTimeoutMs?: number;
  /** Extra Worker variables, e.g. looser rate limits for a benchmark. */
  workerVars?: Record<string, string>;
}

export interface RunningStack {
  config: StackConfig;
  urls: Record<string, string>;
  /** The jobs process and wrangler, for fault tests that kill and replace one. */
  processes: { jobs: ChildHandle; worker: ChildHandle };
  stop(): Promise<void>;
}

/** Variables every child gets: no telemetry, no outbound calls from wrangler. */
const quietTooling = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_ERROR_REPORTS: "false" };

export function workerVars(config: StackConfig): Record<string, string> {
  const h = config.host;
  return {
    DATABASE_URL: config.databaseUrl,
    NEON_HTTP_ENDPOINT: `http://${h}:${config.ports.neonHttp}/sql`,
    UPSTASH_REDIS_REST_URL: `http://${h}:${config.ports.redisRest}`,
    UPSTASH_REDIS_REST_TOKEN: config.redisRestToken,
    REDIS_KEY_PREFIX: config.redisKeyPrefix,
    QSTASH_URL: `http://${h}:${config.ports.qstash}`,
    QSTASH_TOKEN: config.qstashToken,
    JOBS_PUBLIC_URL: `http://${h}:${config.ports.jobs}`,
    JWT_SECRET: config.jwtSecret,
    NEON_WS_PROXY: `${h}:${config.ports.neonWs}/v2`,
    ...mlVars(config),
    // ML redirects the browser here; the sandbox accepts any redirect URI.
    ML_AUTH_URL: `http://${h}:${config.ports.mlSandbox}`,
    ML_REDIRECT_URI: `http://${h}:${config.ports.worker}/ml/auth/callback`,
    ...tinyVars(config),
    TINY_REDIRECT_URI: `http://${h}:${config.ports.worker}/tinyerp/auth/callback`,
  };
}

/** The local Tiny sandbox and its registered app (its public defaults, see docs/sandbox.md). */
function tinyVars(config: StackConfig): Record<string, string> {
  const base = `http://${config.host}:${config.ports.tinySandbox}`;
  return {
    TINY_API_URL: `${base}/public-api/v3`,
    TINY_AUTH_URL: `${base}/realms/tiny/protocol/openid-connect`,
    TINY_CLIENT_ID: "autoecom-sandbox",
    TINY_CLIENT_SECRET: "autoecom-sandbox-secret",
  };
}

/**
 * The local MercadoLibre sandbox's app credentials (its public defaults) and a fixed,
 * public, local-only token key: tokens stored by `npm run dev` are sandbox tokens anyway.
 */
export const localTokenEncryptionKeys = localSecrets.tokenEncryptionKeys;

function mlVars(config: StackConfig): Record<string, string> {
  return {
    ML_API_URL: `http://${config.host}:${config.ports.mlSandbox}`,
    ML_APP_ID: "5503910054141466",
    ML_CLIENT_SECRET: "sandbox-client-secret",
    TOKEN_ENCRYPTION_KEYS: localTokenEncryptionKeys,
  };
}

export function jobsEnv(config: StackConfig): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_KEY_PREFIX: config.redisKeyPrefix,
    JOBS_HOST: config.host,
    JOBS_PORT: String(config.ports.jobs),
    JOBS_PUBLIC_URL: `http://${config.host}:${config.ports.jobs}`,
    JOBS_ADMIN_HOST: config.host,
    JOBS_ADMIN_PORT: String(config.ports.jobsAdmin),
    QSTASH_CURRENT_SIGNING_KEY: config.qstashCurrentSigningKey,
    QSTASH_NEXT_SIGNING_KEY: config.qstashNextSigningKey,
    ADMIN_USERNAME: config.adminUsername,
    ADMIN_PASSWORD: config.adminPassword,
    METRICS_TOKEN: config.metricsToken,
    ...mlVars(config),
    ...tinyVars(config),
  };
}

/**
 * Brings up the whole product on loopback: the database (created and migrated), the local
 * stand-ins for Neon, Upstash Redis and QStash, both sandboxes, the jobs process and the
 * Worker under wrangler dev. Stops in reverse order; a failure half-way stops what started.
 */
export async function startStack(config: StackConfig, options: StartStackOptions = {}): Promise<RunningStack> {
  const servers: Pick<RunningServer, "close">[] = [];
  const children: ChildHandle[] = [];
  const stop = async () => {
    await Promise.all(children.reverse().map((child) => child.stop()));
    await Promise.all(servers.reverse().map((server) => server.close()));
  };
  const host = config.host;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const ports = options.sandboxes === false ? { ...config.ports, mlSandbox: 0, tinySandbox: 0 } : config.ports;
  await assertPortsFree(host, Object.fromEntries(Object.entries(ports).filter(([, port]) => port !== 0)));
  try {
    await ensureDatabase(config.databaseUrl);
    await migrateDatabase(config.databaseUrl);

    servers.push(await startNeonHttpServer({ port: config.ports.neonHttp, host }));
    servers.push(await startNeonWsProxy({ port: config.ports.neonWs, host }));
    servers.push(await startRedisRestServer({ port: config.ports.redisRest, host, token: config.redisRestToken, redisUrl: config.redisUrl }));
    servers.push(
      await startQStashServer({
        port: config.ports.qstash,
        host,
        token: config.qstashToken,
        signingKeys: { current: config.qstashCurrentSigningKey, next: config.qstashNextSigningKey },
        backoffScale: config.qstashBackoffScale,
        hold: config.qstashHold,
      }),
    );
    if (options.sandboxes !== false) {
      const { seed, listings, orders, products, databaseUrl } = config.sandbox;
      // ML's app callback URL: sandbox notifications go through the Worker's webhook edge like real ones.
      const callbackUrl = `http://${host}:${config.ports.worker}/webhooks/ml`;
      servers.push(await startMlSandbox({ port: config.ports.mlSandbox, host, seed, listings, orders, callbackUrl, ...(databaseUrl ? { databaseUrl } : {}) }));
      servers.push(await startTinySandbox({ port: config.ports.tinySandbox, host, seed, products, ...(databaseUrl ? { databaseUrl } : {}) }));
    }

    const env = { ...process.env, ...quietTooling };
    const jobs = startChild("jobs", process.execPath, ["--import", "tsx", "jobs/src/main.ts"], {
      cwd: root,
      env: { ...env, ...jobsEnv(config) },
      quiet: options.quiet ?? false,
    });
    children.push(jobs);
    const varArgs = Object.entries({ ...workerVars(config), ...options.workerVars }).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
    const worker = startChild(
      "worker",
      process.execPath,
      [
        `${root}/node_modules/wrangler/bin/wrangler.js`,
        "dev",
        "--ip",
        host,
        "--port",
        String(config.ports.worker),
        "--inspector-port",
        "0",
        "--show-interactive-dev-session=false",
        "--log-level",
        "warn",
        ...varArgs,
      ],
      { cwd: root, env, quiet: options.quiet ?? false },
    );
    children.push(worker);

    const urls = {
      worker: `http://${host}:${config.ports.worker}`,
      jobs: `http://${host}:${config.ports.jobs}`,
      jobsAdmin: `http://${host}:${config.ports.jobsAdmin}`,
      qstash: `http://${host}:${config.ports.qstash}`,
      redisRest: `http://${host}:${config.ports.redisRest}`,
      neonHttp: `http://${host}:${config.ports.neonHttp}/sql`,
      neonWs: `ws://${host}:${config.ports.neonWs}/v2`,
      ...(options.sandboxes !== false ? { mlSandbox: `http://${host}:${config.ports.mlSandbox}`, tinySandbox: `http://${host}:${config.ports.tinySandbox}` } : {}),
    };
    const ready = async (child: ChildHandle, url: string) => {
      try {
        await waitForHttp(url, { timeoutMs: readyTimeoutMs, isAlive: child.alive });
      } catch (error) {
        throw new Error(`${child.name} did not become ready: ${(error as Error).message}\n${child.recentOutput()}`, { cause: error });
      }
    };
    await Promise.all([ready(jobs, `${urls.jobs}/health`), ready(worker, `${urls.worker}/health`)]);
    return { config, urls, stop, processes: { jobs, worker } };
  } catch (error) {
    await stop();
    throw error;
  }
}
