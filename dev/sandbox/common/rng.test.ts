import { describe, expect, it } from "vitest";
import { createRng } from "./rng";

describe("seeded rng", () => {
  it("repeats for a seed and differs across seeds", () => {
    const seq = (seed: number | string) => {
      const r = createRng(seed);
      return [r.next(), r.int(1, 6), r.hex(8), r.uuid(), r.digits(5)];
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq("label")).toEqual(seq("label"));
    expect(seq(42)).not.toEqual(seq(43));
  });

  it("forks independent streams that do not shift the parent", () => {
    const a = createRng(1);
    const b = createRng(1);
    const fa = a.fork("x");
    fa.next();
    fa.next();
    expect(a.next()).toBe(b.next());
    expect(createRng(1).fork("x").next()).toBe(createRng(1).fork("x").next());
    expect(createRng(1).fork("x").next()).not.toBe(createRng(1).fork("y").next());
  });

  it("keeps values in range", () => {
    const r = createRng(9);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 5);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
    }
    expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });
});
