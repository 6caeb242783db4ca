import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ChildHandle {
  name: string;
  process: ChildProcess;
  alive(): boolean;
  /** The last lines it printed, for error messages when it dies during start-up. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the whole process group is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs a long-lived child in its own process group, so stopping it also stops what it spawned
 * (wrangler starts workerd), and prefixes its output so the dev console stays readable.
 */
export function startChild(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; quiet?: boolean }): ChildHandle {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let exited = child.exitCode !== null;
  const recent: string[] = [];
  const exitPromise = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    const lines = createInterface({ input: stream });
    lines.on("line", (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (!options.quiet) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  return {
    name,
    process: child,
    alive: () => !exited,
    recentOutput: () => recent.join("\n"),
    async stop(graceMs = 10_000) {
      if (exited) return;
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
