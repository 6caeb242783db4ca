import pg from "pg";

// Demo sandboxes keep their whole state in memory. With a database URL the state is also written
// as one JSONB snapshot per sandbox name, so a local demo survives restarts; tests run without it.

export interface SnapshotStore {
  load<T>(): Promise<T | null>;
  save(state: unknown): Promise<void>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface SnapshotStoreOptions {
  databaseUrl: string;
  /** Row key; one row per sandbox (e.g. "ml", "tiny"). */
  name: string;
  table?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

export async function createSnapshotStore(opts: SnapshotStoreOptions): Promise<SnapshotStore> {
  const table = opts.table ?? "sandbox_snapshots";
  if (!IDENT.test(table)) throw new Error(`invalid snapshot table name: ${table}`);
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 2 });
  // An idle connection killed by the server (restart, DROP DATABASE ... FORCE) must not crash the
  // sandbox; the next query simply opens a new one.
  pool.on("error", (err) => console.warn("[sandbox] snapshot db connection lost:", err.message));
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (name text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
  return {
    async load<T>() {
      const res = await pool.query<{ state: T }>(`SELECT state FROM ${table} WHERE name = $1`, [opts.name]);
      return res.rows[0]?.state ?? null;
    },
    async save(state) {
      await pool.query(
        `INSERT INTO ${table} (name, state, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
        [opts.name, JSON.stringify(state)],
      );
    },
    async clear() {
      await pool.query(`DELETE FROM ${table} WHERE name = $1`, [opts.name]);
    },
    close: () => pool.end(),
  };
}

export interface Persister {
  /** Call after any state change; only dirty state is written. */
  markDirty(): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface PersisterOptions {
  store: SnapshotStore;
  snapshot: () => unknown;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

/** Saves periodically while dirty and once more on close. Saves never overlap. */
export function createPersister(opts: PersisterOptions): Persister {
  let dirty = false;
  let running: Promise<void> = Promise.resolve();
  const onError = opts.onError ?? ((err: unknown) => console.error("[sandbox] snapshot save failed:", err));

  const flush = (): Promise<void> => {
    running = running.then(async () => {
      if (!dirty) return;
      dirty = false;
      try {
        await opts.store.save(opts.snapshot());
      } catch (err) {
        dirty = true;
        onError(err);
      }
    });
    return running;
  };

  const timer = setInterval(() => void flush(), opts.intervalMs ?? 5_000);
  timer.unref();

  return {
    markDirty() {
      dirty = true;
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
      await opts.store.close();
    },
  };
}
