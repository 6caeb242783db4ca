import type { ItemRec } from "./types";

// Seeded listings are materialised on first touch. Ids are a pure function of (seller, index), so
// a 100k-listing seller starts with just its id list; the full record is built (deterministically,
// from its own RNG stream) when a request, order or filter first needs it.

export type ItemFactory = (id: string) => ItemRec | undefined;

export class ItemStore {
  private live = new Map<string, ItemRec>();

  constructor(
    private factory: ItemFactory,
    private allIds: () => Iterable<string>,
  ) {}

  get(id: string): ItemRec | undefined {
    let item = this.live.get(id);
    if (item === undefined) {
      item = this.factory(id);
      if (item !== undefined) this.live.set(id, item);
    }
    return item;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: string, item: ItemRec): void {
    this.live.set(id, item);
  }

  /** Listings whose full record exists in memory (for diagnostics). */
  get materialized(): number {
    return this.live.size;
  }

  get size(): number {
    let n = 0;
    for (const _ of this.allIds()) n++;
    return n;
  }

  *values(): IterableIterator<ItemRec> {
    for (const id of this.allIds()) {
      const item = this.get(id);
      if (item) yield item;
    }
  }
}
