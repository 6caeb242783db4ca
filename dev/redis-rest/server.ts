import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Redis } from "ioredis";
import { HttpError, jsonErrors, parseJson, readBody, requestToken, requestUrl, sendJson, tokensEqual } from "../lib/http";
import { listen, type RunningServer } from "../lib/server";
import { commandFromPath, toCommand, toCommands } from "./commands";
import { RedisExecutor, type Outcome } from "./executor";

export const DEFAULT_PORT = 8079;
export const DEFAULT_TOKEN = "local-dev-token";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface RedisRestServerOptions {
  /** Default 8079; use 0 in tests. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Bearer token clients must send (or `?_token=`). Default "local-dev-token". */
  token?: string;
  /** Used when `redis` is not given. Default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** An existing connection to reuse; the caller keeps ownership and closes it. */
  redis?: Redis;
}

export interface RedisRestServer extends RunningServer {
  token: string;
}

/**
 * Starts an Upstash-Redis-REST-compatible endpoint over a real Redis, so
 * @upstash/redis (Node or @upstash/redis/cloudflare in workerd) works locally.
 */
export async function startRedisRestServer(opts: RedisRestServerOptions = {}): Promise<RedisRestServer> {
  const token = opts.token ?? DEFAULT_TOKEN;
  const redis = opts.redis ?? (await connect(opts.redisUrl ?? DEFAULT_REDIS_URL));
  const executor = new RedisExecutor(redis);
  const server = createServer(jsonErrors(handler(executor, token), "redis-rest"));
  const running = await listen(server, { port: opts.port ?? DEFAULT_PORT, host: opts.host }, async () => {
    await executor.close();
    if (!opts.redis) await redis.quit();
  }).catch(async (err: unknown) => {
    if (!opts.redis) redis.disconnect();
    throw err;
  });
  return { ...running, token };
}

/** Connects eagerly so a missing Redis fails the start, not the first request. */
async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot reach Redis at ${url}: ${reason}`, { cause: err });
  }
}

function handler(executor: RedisExecutor, token: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (!tokensEqual(requestToken(req, url, "_token"), token)) throw new HttpError(401, "Unauthorized");
    if (req.method !== "POST" && req.method !== "GET") throw new HttpError(405, "Method not allowed");
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const body = await readBody(req, MAX_BODY_BYTES);
    const path = url.pathname.replace(/\/+$/, "") || "/";

    if (req.method === "POST" && path === "/") {
      return reply(res, await executor.one(toCommand(parseJson(body)), base64));
    }
    if (req.method === "POST" && path === "/pipeline") {
      return sendJson(res, 200, await executor.pipeline(toCommands(parseJson(body)), base64));
    }
    if (req.method === "POST" && path === "/multi-exec") {
      return sendJson(res, 200, await executor.multi(toCommands(parseJson(body)), base64));
    }
    if (path === "/") throw new HttpError(400, "ERR GET / needs a command in the path, e.g. /get/key");
    return reply(res, await executor.one(commandFromPath(path, body), base64));
  };
}

function reply(res: ServerResponse, outcome: Outcome): void {
  sendJson(res, "error" in outcome ? 400 : 200, outcome);
}
