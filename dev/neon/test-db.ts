import { randomBytes } from "node:crypto";
import pg from "pg";

/** The local cluster tests use: trust auth on loopback, as set up by the dev stack and CI. */
const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  name: string;
  /** postgres://postgres@127.0.0.1:5432/<name> */
  url: string;
  drop(): Promise<void>;
}

/** A throwaway database so tests never touch shared data and can run in parallel. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `autoecom_t_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    // FORCE ends connections a pool still holds, so a leak cannot make cleanup fail.
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
