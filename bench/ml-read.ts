/**
 * GET /ml/orders and GET /ml/listings through wrangler dev with 100,000 orders and 100,000 listings
 * in one account: first page and a deep cursor (past row 80,000). Target: p99 < 50 ms locally.
 * Rows are written straight into Postgres (the sync benchmark measures how they get there).
 */
import pg from "pg";
import { dropDatabase } from "#db/migrate";
import { isolatedStackConfig } from "#dev/stack/config";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { startStack } from "#dev/stack/start";
import { load, machineLine, table, writeSection } from "./lib";

const rows = Number(process.env.BENCH_READ_ROWS ?? 100_000);
const durationSeconds = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const config = await isolatedStackConfig();
// One reader on purpose far above the per-user limit, which protects real users from each other.
const stack = await startStack(config, { quiet: true, sandboxes: false, workerVars: { API_RATE_LIMIT_PER_MINUTE: "100000000", LOG_LEVEL: "warn" } });
try {
  const base = stack.urls.worker;
  const credentials = JSON.stringify({ email: "reader@example.com", password: "benchmark password" });
  await fetch(`${base}/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: credentials });
  const registered = await fetch(`${base}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: credentials });
  const { accessToken, user } = (await registered.json()) as { accessToken: string; user: { id: string } };
  const auth = { authorization: `Bearer ${accessToken}` };

  const db = new pg.Client({ connectionString: config.databaseUrl });
  await db.connect();
  const seeded = performance.now();
  const account = await db.query<{ id: string }>("insert into ml_accounts (id, user_id, ml_user_id, nickname, site_id) values (gen_random_uuid(), $1, 777000001, 'BENCH', 'MLB') returning id", [
    user.id,
  ]);
  const accountId = account.rows[0]!.id;
  await db.query(
    `insert into ml_orders (id, account_id, ml_order_id, status, total_amount, buyer_id, ml_date_created, ml_last_updated, fetched_at)
     select gen_random_uuid(), $1, 2000000000000 + n, case when n % 10 = 0 then 'cancelled' else 'paid' end, (n % 500) + 9.90,
            500000000 + n % 5000, now() - n * interval '1 minute', now() - n * interval '1 minute', now()
     from generate_series(1, $2::int) n`,
    [accountId, rows],
  );
  await db.query(
    `insert into ml_listings (id, account_id, ml_item_id, title, status, ml_last_updated, fetched_at)
     select gen_random_uuid(), $1, 'MLB' || (3000000000 + n), 'Produto de teste ' || n, case when n % 7 = 0 then 'paused' else 'active' end,
            now() - n * interval '1 minute', now()
     from generate_series(1, $2::int) n`,
    [accountId, rows],
  );
  await db.query("analyze ml_orders; analyze ml_listings");
  await db.end();
  const seedSeconds = ((performance.now() - seeded) / 1000).toFixed(1);

  /** Follows nextCursor with pages of 100 until past `depth` rows, and returns the cursor found there. */
  async function deepCursor(path: string, depth: number): Promise<string> {
    let cursor: string | null = null;
    for (let seen = 0; seen < depth; seen += 100) {
      const url = `${base}${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = (await (await fetch(url, { headers: auth })).json()) as { nextCursor: string | null };
      if (!page.nextCursor) throw new Error(`${path} ran out of pages at ${seen}`);
      cursor = page.nextCursor;
    }
    return cursor!;
  }
  const depth = Math.floor(rows * 0.8);
  const ordersDeep = await deepCursor("/ml/orders", depth);
  const listingsDeep = await deepCursor("/ml/listings", depth);

  const results = [];
  for (const [name, path] of [
    ["GET /ml/orders first page", "/ml/orders"],
    [`GET /ml/orders cursor at row ${depth}`, `/ml/orders?cursor=${encodeURIComponent(ordersDeep)}`],
    ["GET /ml/listings first page", "/ml/listings"],
    [`GET /ml/listings cursor at row ${depth}`, `/ml/listings?cursor=${encodeURIComponent(listingsDeep)}`],
  ] as const) {
    for (let i = 0; i < 20; i++) await fetch(`${base}${path}`, { headers: auth });
    results.push(await load(`${name} (1 client)`, { url: `${base}${path}`, headers: auth, connections: 1, durationSeconds }));
  }
  const worst = Math.max(...results.map((r) => r.p99));
  await writeSection(
    "ml-read",
    `## ML read API over HTTP (issue: ML data)

Run: \`npm run bench -- ml-read\` on ${new Date().toISOString().slice(0, 10)}; ${machineLine()}.
${rows.toLocaleString("en")} orders and ${rows.toLocaleString("en")} listings in one account (written with SQL in ${seedSeconds} s), read through
wrangler dev (workerd) → Neon SQL-over-HTTP stand-in → Postgres 15, with a logged-in user's token; page size 50.

${table(results)}

Target p99 < 50 ms locally for the first page and deep cursors: **${worst < 50 ? "met" : "not met"}** (worst p99 ${worst} ms).
The empty-Worker floor of wrangler dev on this machine is in the auth section.`,
  );
  console.log(table(results));
} finally {
  await stack.stop();
  await dropDatabase(config.databaseUrl);
  await deleteKeysWithPrefix(config.redisUrl, config.redisKeyPrefix);
}
