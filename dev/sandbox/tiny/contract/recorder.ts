import { readFileSync } from "node:fs";
import { classify } from "./known-deviations";
import { SPEC_PATH } from "./prism";
import type { ObservedViolation, PrismViolation } from "./scenario";

// For tests that send our own Tiny client through the Prism proxy: a fetch that keeps Prism's
// verdict (`sl-violations`) on every response, named by the spec route it belongs to, so each
// violation can be matched against the known deviations.

const specPaths = Object.keys((JSON.parse(readFileSync(SPEC_PATH, "utf8")) as { paths: Record<string, unknown> }).paths);

/** "/produtos/123" → "/produtos/{idProduto}": the spec route a concrete path belongs to (fewest parameters wins). */
export function specRouteOf(path: string): string {
  const candidates = specPaths.filter((route) => new RegExp(`^${route.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path));
  candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  return candidates[0] ?? path;
}

/** Prism's verdict on one proxied call (its `sl-violations` header), named by method, spec route and status. */
export function violationsOf(response: Response, method: string, path: string): ObservedViolation[] {
  const header = response.headers.get("sl-violations");
  const route = specRouteOf(path);
  return (header ? (JSON.parse(header) as PrismViolation[]) : []).map((v) => ({ ...v, method, route, status: response.status }));
}

/** One line per violation, for reports and failure messages. */
export const describeViolation = (v: ObservedViolation) => `${v.method} ${v.route} → ${v.status}: ${v.location.join(".")} ${v.message}`;

export interface ViolationRecorder {
  /** Pass as the Tiny services' `fetch`; calls to other origins (Keycloak) pass unrecorded. */
  fetch: typeof fetch;
  violations: ObservedViolation[];
  /** Calls that went through the proxy, by "METHOD /spec/route". */
  calls: Map<string, number>;
  total(): number;
  /** Violations recorded from index `since` on that no known deviation explains, one line each (empty when none). */
  unexplainedSince(since: number): string;
}

/** `proxyUrl` is read per call, so the recorder can exist before the proxy has started. */
export function createViolationRecorder(proxyUrl: () => string): ViolationRecorder {
  const violations: ObservedViolation[] = [];
  const calls = new Map<string, number>();
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url);
    if (url.origin === new URL(proxyUrl()).origin) {
      const method = (init?.method ?? "GET").toUpperCase();
      const route = specRouteOf(url.pathname);
      calls.set(`${method} ${route}`, (calls.get(`${method} ${route}`) ?? 0) + 1);
      violations.push(...violationsOf(response, method, url.pathname));
    }
    return response;
  };
  return {
    fetch: recordingFetch,
    violations,
    calls,
    total: () => [...calls.values()].reduce((n, c) => n + c, 0),
    unexplainedSince: (since) => classify(violations.slice(since)).unexplained.map(describeViolation).join("\n"),
  };
}
