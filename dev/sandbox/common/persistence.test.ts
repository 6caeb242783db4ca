import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPersister, createSnapshotStore } from "./persistence";
import { createTempDatabase, type TempDatabase } from "./test-db";

let db: TempDatabase;
beforeAll(async () => {
  db = await createTempDatabase();
});
afterAll(() => db.drop());

describe("snapshot persistence", () => {
  it("round-trips JSONB state per sandbox name", async () => {
    const a = await createSnapshotStore({ databaseUrl: db.url, name: "a" });
    const b = await createSnapshotStore({ databaseUrl: db.url, name: "b" });
    expect(await a.load()).toBeNull();
    await a.save({ n: 1, nested: { list: [1, 2, 3] } });
    await b.save({ n: 2 });
    expect(await a.load()).toEqual({ n: 1, nested: { list: [1, 2, 3] } });
    await a.save({ n: 3 });
    expect(await a.load()).toEqual({ n: 3 });
    expect(await b.load()).toEqual({ n: 2 });
    await a.clear();
    expect(await a.load()).toBeNull();
    await a.close();
    await b.close();
  });

  it("saves only when dirty, and always on close", async () => {
    const store = await createSnapshotStore({ databaseUrl: db.url, name: "p" });
    let value = 1;
    let saves = 0;
    const counting = { ...store, save: async (s: unknown) => (saves++, store.save(s)) };
    const p = createPersister({ store: counting, snapshot: () => ({ value }), intervalMs: 60_000 });
    await p.flush();
    expect(saves).toBe(0);
    p.markDirty();
    await p.flush();
    expect(saves).toBe(1);
    value = 2;
    p.markDirty();
    await p.close();
    expect(saves).toBe(2);
    const again = await createSnapshotStore({ databaseUrl: db.url, name: "p" });
    expect(await again.load()).toEqual({ value: 2 });
    await again.close();
  });
});
