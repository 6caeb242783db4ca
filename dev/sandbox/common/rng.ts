// Deterministic pseudo-random numbers for sandboxes. Math.random would make seed data,
// fault decisions and notification variants differ between runs, and tests could not pin them.

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Lowercase hex string of the given length. */
  hex(length: number): string;
  /** Digits-only string of the given length (first digit non-zero). */
  digits(length: number): string;
  /** RFC 4122-shaped v4 UUID built from this stream. */
  uuid(): string;
  /** Independent stream derived from this seed and a label; consuming it never shifts the parent. */
  fork(label: string): Rng;
  readonly seed: number;
}

/** 32-bit string hash (FNV-1a) so labels can derive sub-seeds. */
export function hashString(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// mulberry32: tiny, fast, and good enough for test data; not for anything security related.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createRng(seed: number | string): Rng {
  const numericSeed = typeof seed === "string" ? hashString(seed) : seed >>> 0;
  const raw = mulberry32(numericSeed);
  const rng: Rng = {
    seed: numericSeed,
    next: raw,
    int(min, max) {
      return min + Math.floor(raw() * (max - min + 1));
    },
    chance(p) {
      if (p <= 0) return false;
      if (p >= 1) return true;
      return raw() < p;
    },
    pick(items) {
      if (items.length === 0) throw new Error("pick from empty list");
      return items[Math.floor(raw() * items.length)] as (typeof items)[number];
    },
    hex(length) {
      let out = "";
      while (out.length < length)
        out += Math.floor(raw() * 0x100000000)
          .toString(16)
          .padStart(8, "0");
      return out.slice(0, length);
    },
    digits(length) {
      let out = String(1 + Math.floor(raw() * 9));
      while (out.length < length) out += String(Math.floor(raw() * 1e9)).padStart(9, "0");
      return out.slice(0, length);
    },
    uuid() {
      const h = rng.hex(32);
      const variant = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    fork(label) {
      return createRng(hashString(`${numericSeed}:${label}`));
    },
  };
  return rng;
}
