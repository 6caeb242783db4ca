import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTinySandbox, type TinySandbox } from "../index";
import { startSpecGate, type SpecGate } from "./gate";

let sandbox: TinySandbox;
let gate: SpecGate;
let token: string;

beforeAll(async () => {
  sandbox = await startTinySandbox({ port: 0, seed: 3, products: 3, quotas: { enabled: false } });
  gate = await startSpecGate(sandbox.apiUrl);
  token = (await sandbox.issueTokens()).access_token;
}, 60_000);

afterAll(async () => {
  await gate?.close();
  await sandbox?.close();
});

describe("the Tiny spec gate in front of the Worker tests' sandbox", () => {
  it("passes a call that keeps to the spec through unchanged", async () => {
    const response = await fetch(`${gate.url}/produtos?limit=2`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { itens: unknown[] }).itens).toHaveLength(2);
    expect(gate.unexplained()).toEqual([]);
  });

  it("answers a request that breaks the spec with a 500 naming the violation, so the calling test fails", async () => {
    const response = await fetch(`${gate.url}/pedidos`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ itens: [{ produto: { id: 1 }, quantidade: "one" }] }),
    });
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/breaks Tiny's published spec: .*quantidade/);
    expect(gate.unexplained().some((line) => line.startsWith("POST /pedidos"))).toBe(true);
  });
});
