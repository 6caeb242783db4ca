import { createHash } from "node:crypto";
import type { Command } from "./commands";

/**
 * Shebang flags that Upstash accepts and Redis refuses ("Unexpected flag in script shebang").
 * allow-key-locking lets Upstash run scripts on disjoint keys in parallel; Redis runs every
 * script alone anyway, so dropping the flag keeps the script's meaning.
 */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/**
 * Makes Upstash's scripts run on Redis. The client names a script by the SHA1 of the text it
 * sent (EVALSHA after SCRIPT LOAD or EVAL), while Redis knows the rewritten text's SHA1, so the
 * hashes are translated both ways. The map lives as long as the stand-in: after a restart EVALSHA
 * answers NOSCRIPT, which clients already handle by sending EVAL again.
 */
export class UpstashScripts {
  private readonly redisSha = new Map<string, string>();

  /** The command to send to Redis, and how to turn its reply into Upstash's. */
  translate(cmd: Command): { cmd: Command; reply: (value: unknown) => unknown } {
    const [name, ...args] = cmd;
    const same = (value: unknown) => value;
    if ((name === "EVAL" || name === "EVAL_RO") && args[0] !== undefined) {
      return { cmd: [name, this.load(args[0]).script, ...args.slice(1)], reply: same };
    }
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[0] !== undefined) {
      return { cmd: [name, this.redisSha.get(args[0].toLowerCase()) ?? args[0], ...args.slice(1)], reply: same };
    }
    const sub = args[0]?.toUpperCase();
    if (name === "SCRIPT" && sub === "LOAD" && args[1] !== undefined) {
      const { script, sha } = this.load(args[1]);
      return { cmd: [name, "LOAD", script], reply: () => sha };
    }
    if (name === "SCRIPT" && sub === "EXISTS") {
      return { cmd: [name, "EXISTS", ...args.slice(1).map((sha) => this.redisSha.get(sha.toLowerCase()) ?? sha)], reply: same };
    }
    return { cmd, reply: same };
  }

  private load(script: string): { script: string; sha: string } {
    const rewritten = withoutUpstashFlags(script);
    const sha = sha1(script);
    if (rewritten !== script) this.redisSha.set(sha, sha1(rewritten));
    return { script: rewritten, sha };
  }
}

function withoutUpstashFlags(script: string): string {
  const shebang = /^#!(\S+)([^\n]*)/.exec(script);
  const declared = shebang && /(^|\s)flags=(\S*)/.exec(shebang[2]!);
  if (!shebang || !declared) return script;
  const flags = declared[2]!.split(",").filter(Boolean);
  const kept = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
  if (kept.length === flags.length) return script;
  const options = shebang[2]!.replace(declared[0], kept.length ? `${declared[1]}flags=${kept.join(",")}` : "");
  return `#!${shebang[1]}${options}${script.slice(shebang[0].length)}`;
}
