import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg, { type CustomTypesConfig, type PoolClient, type QueryArrayConfig } from "pg";
import { HttpError, headerRecord, jsonErrors, parseJson, readBody, requestUrl, sendJson } from "../lib/http";
import { listen, type RunningServer } from "../lib/server";
import { AddressAllowlist, DEFAULT_ALLOWED_ADDRESSES } from "./allowlist";
import { backendTarget, beginStatement, errorBody, formatResult, parseSqlRequest, type SqlQuery, type SqlRequest } from "./sql-protocol";

export const DEFAULT_HTTP_PORT = 4444;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Hands every value back as the text Postgres sent; the driver does the parsing (Neon-Raw-Text-Output). */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as CustomTypesConfig;

export interface NeonHttpServerOptions {
  /** Default 4444; use 0 in tests. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Postgres `host:port` targets a Neon-Connection-String may name. Default 127.0.0.1:5432 and localhost:5432. */
  allow?: readonly string[];
  /** Connections kept per distinct connection string. Default 5. */
  maxPoolSize?: number;
}

/**
 * Neon's SQL-over-HTTP endpoint (`POST /sql`) in front of plain Postgres, for
 * `neon()` and drizzle-orm/neon-http. Authentication is whatever the connection
 * string carries; Neon's JWT `Authorization` header is ignored.
 */
export async function startNeonHttpServer(opts: NeonHttpServerOptions = {}): Promise<RunningServer> {
  const allow = new AddressAllowlist(opts.allow ?? DEFAULT_ALLOWED_ADDRESSES);
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connectionString: string) => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: opts.maxPoolSize ?? 5, idleTimeoutMillis: 30_000 });
      // An idle connection killed by the server (e.g. DROP DATABASE … FORCE) must not crash the process.
      pool.on("error", () => {});
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    if (requestUrl(req).pathname !== "/sql") throw new HttpError(404, "not found: the Neon HTTP endpoint is POST /sql");
    if (req.method !== "POST") throw new HttpError(405, "use POST /sql");
    const headers = headerRecord(req);
    const target = backendTarget(headers["neon-connection-string"]);
    if (!allow.has(target.address)) {
      const { host, port } = target.address;
      throw new HttpError(403, `database address ${host}:${port} is not allowed (allowed: ${allow})`);
    }
    const request = parseSqlRequest(parseJson(await readBody(req, MAX_BODY_BYTES)));
    const begin = request.kind === "batch" ? beginStatement(headers) : undefined;
    const arrayMode = headers["neon-array-mode"] === "true";
    try {
      sendJson(res, 200, await execute(poolFor(target.connectionString), request, begin, arrayMode));
    } catch (err) {
      sendJson(res, 400, errorBody(err));
    }
  };

  const server = createServer(jsonErrors(handler, "neon-http", (message) => ({ message })));
  return listen(server, { port: opts.port ?? DEFAULT_HTTP_PORT, host: opts.host }, async () => {
    await Promise.all([...pools.values()].map((pool) => pool.end()));
    pools.clear();
  });
}

async function execute(pool: pg.Pool, request: SqlRequest, begin: string | undefined, arrayMode: boolean) {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    if (request.kind === "single") return formatResult(await run(client, request.query), arrayMode);
    await client.query(begin ?? "BEGIN");
    try {
      const results = [];
      for (const query of request.queries) results.push(formatResult(await run(client, query), arrayMode));
      await client.query("COMMIT");
      return { results };
    } catch (err) {
      await client.query("ROLLBACK").catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Always the extended protocol, as on Neon: one statement per query, so
 * `select 1; select 2` fails the same way it would in production.
 */
function run(client: PoolClient, q: SqlQuery) {
  const config: QueryArrayConfig & { queryMode: "extended" } = {
    text: q.query,
    values: q.params,
    rowMode: "array",
    types: RAW_TEXT,
    queryMode: "extended",
  };
  return client.query(config);
}
