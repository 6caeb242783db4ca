import { afterAll, describe, expect, it } from "vitest";
import { buildSeedState } from "./seed";
import { startTestSandbox, type TestSandbox } from "./test-helpers";

// The same seed must give the same account (ids, SKUs, prices, stock) on every machine, so tests
// can pin values and the ML sandbox seeded alike lists the same SKUs.

function cnpjValid(cnpj: string): boolean {
  const calc = (base: string, weights: number[]) => {
    const r = [...base].reduce((n, d, i) => n + Number(d) * (weights[i] ?? 0), 0) % 11;
    return r < 2 ? 0 : 11 - r;
  };
  const d1 = calc(cnpj.slice(0, 12), [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = calc(cnpj.slice(0, 12) + d1, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return cnpj === `${cnpj.slice(0, 12)}${d1}${d2}`;
}

describe("Tiny sandbox seed", () => {
  const started: TestSandbox[] = [];
  afterAll(async () => {
    await Promise.all(started.map((t) => t.sb.close()));
  });

  it("is deterministic for a seed number and different across seeds", async () => {
    const a = await startTestSandbox({ seed: 7, products: 30 });
    const b = await startTestSandbox({ seed: 7, products: 30 });
    const c = await startTestSandbox({ seed: 8, products: 30 });
    started.push(a, b, c);
    const page = async (t: TestSandbox) => (await t.api("GET", "/produtos?limit=30")).json;
    const stock = async (t: TestSandbox, id: number) => (await t.api("GET", `/estoque/${id}`)).json;
    const pa = await page(a);
    expect(await page(b)).toEqual(pa);
    expect((await a.api("GET", "/info")).json).toEqual((await b.api("GET", "/info")).json);
    expect(await stock(a, pa.itens[3].id)).toEqual(await stock(b, pa.itens[3].id));
    expect((await c.api("GET", "/info")).json.cpfCnpj).not.toBe((await a.api("GET", "/info")).json.cpfCnpj);
    expect((await page(c)).itens[0].id).not.toBe(pa.itens[0].id);
  });

  it("uses SKU-<n> for n = 1..products, valid CNPJ/GTIN, and stock in the default deposit", () => {
    const s = buildSeedState({ seed: 42, products: 12 });
    const products = [...s.products.values()];
    expect(products.map((p) => p.sku)).toEqual(Array.from({ length: 12 }, (_, i) => `SKU-${i + 1}`));
    expect(cnpjValid(s.account.cnpj)).toBe(true);
    for (const p of products) expect(p.gtin).toMatch(/^789\d{10}$/);
    const geral = s.deposits.find((d) => d.padrao);
    expect(products.some((p) => (s.stock.get(p.id)?.get(geral?.id ?? 0) ?? 0) > 0)).toBe(true);
  });

  it("accepts an explicit SKU list (to mirror the ML sandbox's demo seller)", () => {
    const s = buildSeedState({ seed: 1, products: 0, skus: ["KAI-000001", "LUM-000002"] });
    expect([...s.products.values()].map((p) => p.sku)).toEqual(["KAI-000001", "LUM-000002"]);
  });

  it("starts with 10,000 products fast and serves the last page", async () => {
    const t = await startTestSandbox({ products: 10_000 });
    started.push(t);
    expect(t.sb.startupMs).toBeLessThan(5_000);
    const last = await t.api("GET", "/produtos?limit=100&offset=9900");
    expect(last.json.paginacao.total).toBe(10_000);
    expect(last.json.itens.at(-1).sku).toBe("SKU-10000");
    expect((await t.api("GET", "/produtos?codigo=SKU-9999")).json.itens).toHaveLength(1);
  });

  it("reset restores the seed state; /_sandbox/seed reseeds with another number or SKU list", async () => {
    const t = await startTestSandbox({ seed: 3, products: 5 });
    started.push(t);
    const before = (await t.api("GET", "/produtos")).json;
    await t.api("POST", "/produtos", { sku: "EXTRA", descricao: "Extra", tipo: "S" });
    expect((await t.api("GET", "/produtos")).json.paginacao.total).toBe(6);
    expect((await t.control("POST", "/reset")).status).toBe(200);
    expect((await t.api("GET", "/produtos")).json).toEqual(before);
    const reseeded = await t.control("POST", "/seed", { seed: 4, skus: ["A-1", "B-2", "C-3"] });
    expect(reseeded.json.products).toBe(3);
    const tokens = await t.sb.issueTokens();
    expect((await t.api("GET", "/produtos", undefined, tokens.access_token)).json.itens.map((p: { sku: string }) => p.sku)).toEqual(["A-1", "B-2", "C-3"]);
  });
});
