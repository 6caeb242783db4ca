import { HttpError } from "../lib/http";

/** A command name plus its arguments, ready for ioredis `callBuffer`. */
export type Command = [name: string, ...args: string[]];

/**
 * Commands that would change or hijack the shared connection every request
 * uses (pub/sub and monitor modes, SELECT, connection-level transactions), or
 * stop the developer's Redis. Upstash's REST API refuses these too.
 */
const REFUSED = new Set([
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUNSUBSCRIBE",
  "SUNSUBSCRIBE",
  "MONITOR",
  "SELECT",
  "QUIT",
  "RESET",
  "HELLO",
  "AUTH",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "SYNC",
  "PSYNC",
  "REPLICAOF",
  "SLAVEOF",
  "SHUTDOWN",
]);

const BLOCKING = new Set(["BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"]);

/**
 * Validates a JSON command such as ["set", "k", "v", "ex", 100]. The name is
 * upper-cased because ioredis keys its reply transformers by lower-case names
 * (hgetall → object, …); the REST protocol wants Redis's raw reply shapes.
 */
export function toCommand(json: unknown): Command {
  if (!Array.isArray(json) || json.length === 0) throw new HttpError(400, "ERR command must be a non-empty JSON array");
  const parts = json.map((part: unknown, i) => {
    if (typeof part === "string") return part;
    if (typeof part === "number" || typeof part === "boolean") return String(part);
    throw new HttpError(400, `ERR argument ${i} must be a string, number or boolean`);
  });
  const name = parts[0]!.toUpperCase();
  if (REFUSED.has(name)) throw new HttpError(400, `ERR command ${name} is not supported by the REST API`);
  return [name, ...parts.slice(1)];
}

export function toCommands(json: unknown): Command[] {
  if (!Array.isArray(json) || json.length === 0) {
    throw new HttpError(400, "ERR body must be a non-empty JSON array of commands");
  }
  return json.map((cmd) => toCommand(cmd));
}

/** Path style (`/set/foo/bar`), with a non-empty request body as the last argument. */
export function commandFromPath(pathname: string, body: Buffer): Command {
  const parts = pathname
    .split("/")
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  if (body.length > 0) parts.push(body.toString("utf8"));
  return toCommand(parts);
}

/** True when the command can park the connection it runs on. */
export function isBlocking([name, ...args]: Command): boolean {
  if (BLOCKING.has(name)) return true;
  return (name === "XREAD" || name === "XREADGROUP") && args.some((a) => a.toUpperCase() === "BLOCK");
}
