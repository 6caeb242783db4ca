import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KNOWN_DEVIATIONS, classify } from "./contract/known-deviations";
import { describeViolation } from "./contract/recorder";
import { startPrismProxy, type PrismProxy } from "./contract/prism";
import { runContractScenario, type ScenarioResult } from "./contract/scenario";
import { startTinySandbox, type TinySandbox } from "./index";

// The sandbox is only useful if it answers like Tiny. Tiny's published spec, enforced by Prism,
// is the closest thing to the real API we can run offline; every deviation must be a known one.

describe("Tiny sandbox against the official v3 spec (Prism proxy)", () => {
  let sandbox: TinySandbox;
  let prism: PrismProxy;
  let result: ScenarioResult;

  beforeAll(async () => {
    sandbox = await startTinySandbox({ port: 0, quotas: { readPerMinute: 10_000, writePerMinute: 10_000, burstPerSecond: null } });
    prism = await startPrismProxy(sandbox.apiUrl);
    const tokens = await sandbox.issueTokens();
    result = await runContractScenario({
      proxyUrl: prism.url,
      accessToken: tokens.access_token,
      lowerReadQuota: async (perMinute) => {
        const res = await fetch(`${sandbox.url}/_sandbox/quotas`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ readPerMinute: perMinute }) });
        expect(res.status).toBe(200);
        await fetch(`${sandbox.url}/_sandbox/quotas/usage`, { method: "DELETE" });
      },
    });
  }, 120_000);

  afterAll(async () => {
    await prism?.stop();
    await sandbox?.close();
  });

  it("drives a full integration session through the proxy", () => {
    expect(result.calls.length).toBeGreaterThan(50);
    expect(result.calls.every((c) => c.status !== 500)).toBe(true);
  });

  it("produces no violation outside the named known deviations", () => {
    const { unexplained } = classify(result.violations);
    const report = unexplained.map(describeViolation).join("\n");
    expect(report).toBe("");
  });

  it("actually exercises the documented deviations (201, 409, 429, spec bugs)", () => {
    const { explained } = classify(result.violations);
    for (const id of ["pedidos-create-201", "pedidos-duplicate-409", "quota-429", "spec-bug-produto-origem", "spec-bug-notas-situacao-finalidade", "spec-bug-pedidos-situacao-filter"]) {
      expect(explained.has(id), `deviation ${id} was not observed`).toBe(true);
    }
    for (const id of ["spec-bug-contatos-tipos-perfil", "spec-bug-lookup-enums"]) expect(explained.has(id), `deviation ${id} was not observed`).toBe(true);
    expect(explained.size).toBe(KNOWN_DEVIATIONS.length);
  });
});
