import { describe, expect, it } from "vitest";
import { ean13 } from "../common";
import { defaultSeedParams, seedState } from "./seed";
import { DEMO_SELLER_ID, SECOND_SELLER_ID, toSnapshot } from "./state";

const anchor = Date.UTC(2026, 10, 1);

describe("seed data", () => {
  it("is identical for the same params and different for another seed", () => {
    const params = { ...defaultSeedParams(anchor), seed: 7, listings: 300 };
    const a = toSnapshot(seedState(params));
    const b = toSnapshot(seedState(params));
    expect(JSON.stringify(seedState(params).items.get("MLB4100000008"))).toBe(JSON.stringify(seedState(params).items.get("MLB4100000008")));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const s1 = seedState(params);
    const s2 = seedState({ ...params, seed: 8 });
    expect([...s1.items.values()].map((i) => i.title)).not.toEqual([...s2.items.values()].map((i) => i.title));
  });

  it("keeps listings stable when only the order count changes", () => {
    const base = { ...defaultSeedParams(anchor), listings: 200 };
    const a = seedState({ ...base, orders: 10 });
    const b = seedState({ ...base, orders: 90 });
    expect(a.sellerItems).toEqual(b.sellerItems);
    expect(JSON.stringify([...a.items.values()])).toBe(JSON.stringify([...b.items.values()]));
  });

  it("covers the shapes integrations must handle", () => {
    const s = seedState({ ...defaultSeedParams(anchor), listings: 500 });
    const demo = [...s.items.values()].filter((i) => i.sellerId === DEMO_SELLER_ID);
    expect(demo).toHaveLength(500);
    expect(s.sellerItems.get(SECOND_SELLER_ID)?.length).toBe(25);
    expect(demo.some((i) => i.variations !== null)).toBe(true);
    expect(demo.some((i) => i.variations === null && i.sku !== null && i.customField === null)).toBe(true);
    expect(demo.some((i) => i.variations === null && i.sku === null && i.customField !== null)).toBe(true);
    expect(demo.some((i) => i.status === "paused" && i.subStatus.includes("out_of_stock"))).toBe(true);
    expect(demo.some((i) => i.logisticType === "fulfillment")).toBe(true);
    // GTINs on some simple listings and on every variation of some listings; distinct, valid EAN-13.
    expect(demo.some((i) => i.variations === null && i.gtin)).toBe(true);
    expect(demo.some((i) => i.variations === null && !i.gtin)).toBe(true);
    expect(demo.some((i) => i.variations?.length && i.variations.every((v) => v.gtin))).toBe(true);
    const gtins = demo.flatMap((i) => [i.gtin, ...(i.variations ?? []).map((v) => v.gtin)]).filter((g): g is string => !!g);
    expect(new Set(gtins).size).toBe(gtins.length);
    for (const gtin of gtins) expect(ean13(gtin.slice(0, 12))).toBe(gtin);
    const statuses = new Set([...s.orders.values()].map((o) => o.status));
    expect(statuses).toEqual(new Set(["paid", "cancelled", "confirmed", "payment_required"]));
    expect([...s.questions.values()].some((q) => q.status === "UNANSWERED")).toBe(true);
    expect(s.claims.size).toBeGreaterThan(0);
  });

  it("builds 100k listings quickly", () => {
    const t0 = performance.now();
    const s = seedState({ ...defaultSeedParams(anchor), listings: 100_000 });
    const ms = performance.now() - t0;
    expect(s.sellerItems.get(DEMO_SELLER_ID)?.length).toBe(100_000);
    expect(ms).toBeLessThan(5_000);
  });
});
