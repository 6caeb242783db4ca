import { TimeoutError, withTimeout } from "./timeout";

/** Health checks shared by the Worker and the jobs container: each dependency probed with a deadline. */
export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  /** Coarse on purpose: /health is unauthenticated, so the detail goes to the log only. */
  error?: "timeout" | "unreachable";
}

export interface HealthReport<Name extends string> {
  status: "ok" | "unavailable";
  checks: Record<Name, CheckResult>;
}

async function runCheck(name: string, probe: () => Promise<unknown>, timeoutMs: number, onFailure: (name: string, error: unknown) => void) {
  const started = performance.now();
  const latency = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    await withTimeout(probe(), timeoutMs, `${name} check`);
    return { ok: true, latencyMs: latency() } satisfies CheckResult;
  } catch (error) {
    onFailure(name, error);
    return { ok: false, latencyMs: latency(), error: error instanceof TimeoutError ? "timeout" : "unreachable" } satisfies CheckResult;
  }
}

/** Probes run in parallel, so the answer takes as long as the slowest one, never their sum. */
export async function checkHealth<Name extends string>(
  probes: Record<Name, () => Promise<unknown>>,
  options: { timeoutMs: number; onFailure: (name: string, error: unknown) => void },
): Promise<HealthReport<Name>> {
  const names = Object.keys(probes) as Name[];
  const results = await Promise.all(names.map((name) => runCheck(name, probes[name], options.timeoutMs, options.onFailure)));
  const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!])) as Record<Name, CheckResult>;
  return { status: results.every((r) => r.ok) ? "ok" : "unavailable", checks };
}
