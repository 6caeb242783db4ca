import type { Redis } from "ioredis";
import { HttpError } from "../lib/http";
import { isBlocking, type Command } from "./commands";
import { encodeReply, type JsonReply } from "./encoding";
import { UpstashScripts } from "./scripts";

export type Outcome = { result: JsonReply } | { error: string };

/**
 * Runs REST commands on one shared ioredis connection. A command that can
 * block gets its own short-lived connection so it cannot stall every other request.
 */
export class RedisExecutor {
  private readonly dedicated = new Set<Redis>();
  private readonly scripts = new UpstashScripts();

  constructor(private readonly redis: Redis) {}

  async one(cmd: Command, base64: boolean): Promise<Outcome> {
    const { cmd: sent, reply } = this.scripts.translate(cmd);
    return this.withConnection(isBlocking(cmd), async (conn) => {
      try {
        return { result: encodeReply(reply(await conn.callBuffer(...sent)), base64) };
      } catch (err) {
        return { error: errorText(err) };
      }
    });
  }

  /** Not atomic; one failing command does not stop the rest (Upstash semantics). */
  async pipeline(cmds: Command[], base64: boolean): Promise<Outcome[]> {
    const translated = cmds.map((cmd) => this.scripts.translate(cmd));
    return this.withConnection(cmds.some(isBlocking), async (conn) => {
      const p = conn.pipeline();
      for (const { cmd } of translated) p.callBuffer(...cmd);
      return toOutcomes(await p.exec(), translated, base64);
    });
  }

  /** MULTI/EXEC: blocking commands do not block inside a transaction, so the shared connection is fine. */
  async multi(cmds: Command[], base64: boolean): Promise<Outcome[]> {
    const translated = cmds.map((cmd) => this.scripts.translate(cmd));
    const tx = this.redis.multi();
    for (const { cmd } of translated) tx.callBuffer(...cmd);
    try {
      return toOutcomes(await tx.exec(), translated, base64);
    } catch (err) {
      // A command that fails to queue makes Redis discard the whole transaction.
      throw new HttpError(400, errorText(err));
    }
  }

  async close(): Promise<void> {
    for (const conn of this.dedicated) conn.disconnect();
    this.dedicated.clear();
  }

  private async withConnection<T>(blocking: boolean, run: (conn: Redis) => Promise<T>): Promise<T> {
    if (!blocking) return run(this.redis);
    const conn = this.redis.duplicate();
    this.dedicated.add(conn);
    try {
      return await run(conn);
    } finally {
      this.dedicated.delete(conn);
      conn.disconnect();
    }
  }
}

function toOutcomes(results: [Error | null, unknown][] | null, translated: { reply: (value: unknown) => unknown }[], base64: boolean): Outcome[] {
  if (results === null) throw new HttpError(400, "EXECABORT Transaction discarded");
  return results.map(([err, value], i) => (err ? { error: errorText(err) } : { result: encodeReply(translated[i]!.reply(value), base64) }));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
