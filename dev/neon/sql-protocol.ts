import type { FieldDef, QueryArrayResult } from "pg";
import { HttpError } from "../lib/http";
import { parseAddress, type Address } from "./allowlist";

/** One statement as the driver sends it: already-serialised text parameters. */
export interface SqlQuery {
  query: string;
  params: unknown[];
}

export type SqlRequest = { kind: "single"; query: SqlQuery } | { kind: "batch"; queries: SqlQuery[] };

export function parseSqlRequest(json: unknown): SqlRequest {
  if (typeof json !== "object" || json === null) throw new HttpError(400, "body must be {query, params} or {queries}");
  const body = json as Record<string, unknown>;
  if (Array.isArray(body.queries)) {
    return { kind: "batch", queries: body.queries.map((q, i) => toQuery(q, `queries[${i}]`)) };
  }
  return { kind: "single", query: toQuery(body, "body") };
}

function toQuery(value: unknown, where: string): SqlQuery {
  const q = value as Record<string, unknown> | null;
  if (typeof q?.query !== "string") throw new HttpError(400, `${where}.query must be a string`);
  if (q.params !== undefined && !Array.isArray(q.params)) throw new HttpError(400, `${where}.params must be an array`);
  return { query: q.query, params: (q.params as unknown[] | undefined) ?? [] };
}

const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/** BEGIN for a batch, from the Neon-Batch-* headers; whitelisted because it is spliced into SQL. */
export function beginStatement(headers: Record<string, string>): string {
  const parts = ["BEGIN"];
  const isolation = headers["neon-batch-isolation-level"];
  if (isolation !== undefined) {
    const level = ISOLATION_LEVELS[isolation];
    if (!level) throw new HttpError(400, `invalid Neon-Batch-Isolation-Level ${JSON.stringify(isolation)}`);
    parts.push(`ISOLATION LEVEL ${level}`);
  }
  const readOnly = flag(headers, "neon-batch-read-only");
  if (readOnly !== undefined) parts.push(readOnly ? "READ ONLY" : "READ WRITE");
  const deferrable = flag(headers, "neon-batch-deferrable");
  if (deferrable !== undefined) parts.push(deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  return parts.join(" ");
}

function flag(headers: Record<string, string>, name: string): boolean | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (value === "true" || value === "false") return value === "true";
  throw new HttpError(400, `${name} must be true or false`);
}

const FIELD_KEYS = ["name", "tableID", "columnID", "dataTypeID", "dataTypeSize", "dataTypeModifier", "format"] as const;

/** The driver parses values itself from `dataTypeID`, so rows stay as Postgres text. */
export function formatResult(result: QueryArrayResult, arrayMode: boolean): Record<string, unknown> {
  const fields = result.fields.map((f: FieldDef) => Object.fromEntries(FIELD_KEYS.map((k) => [k, f[k]])));
  const rows = arrayMode ? result.rows : result.rows.map((row) => Object.fromEntries(result.fields.map((f, i) => [f.name, row[i]])));
  return { command: result.command, rowCount: result.rowCount, rowAsArray: arrayMode, fields, rows };
}

const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

/** Neon's 400 body: the Postgres error fields the driver copies onto NeonDbError. */
export function errorBody(err: unknown): Record<string, unknown> {
  const source = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  const body: Record<string, unknown> = { message: err instanceof Error ? err.message : String(err) };
  for (const key of ERROR_FIELDS) if (source[key] !== undefined) body[key] = source[key];
  return body;
}

/**
 * Validates Neon-Connection-String and drops TLS parameters: they describe the
 * client→Neon hop (terminated here), not this server's hop to local Postgres.
 */
export function backendTarget(connectionString: string | undefined): { connectionString: string; address: Address } {
  if (!connectionString) throw new HttpError(400, "missing Neon-Connection-String header");
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new HttpError(400, "Neon-Connection-String is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new HttpError(400, "Neon-Connection-String must use postgres:// or postgresql://");
  }
  const address = parseAddress(`${url.hostname}:${url.port || "5432"}`);
  if (!address) throw new HttpError(400, "Neon-Connection-String has no usable host");
  for (const param of ["sslmode", "ssl", "sslrootcert", "sslcert", "sslkey", "channel_binding"]) {
    url.searchParams.delete(param);
  }
  return { connectionString: url.toString(), address };
}
