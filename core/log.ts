import { describeError } from "./redact";

/**
 * One JSON object per line, for both runtimes (Workers Logs and docker logs parse it).
 * Callers pass fields, never secrets: tokens, passwords and bodies are not logged.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(base: LogFields = {}, minLevel: LogLevel = "info"): Logger {
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[level] < rank[minLevel]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, minLevel),
  };
}

/** An error as log fields: its message goes through describeError, since messages quote SQL parameters, tokens and buyers' data. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) return { error: describeError(error), errorName: error.name };
  return { error: describeError(error) };
}
