// Start-up and read-throughput numbers for the ML sandbox. The sandbox runs in a child process so
// the client's JSON parsing does not share its CPU.
// Run: npx tsx dev/sandbox/ml/bench.ts [listings...]   (default: 10000 100000)
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMlSandbox } from "./index";

const CONCURRENCY = 8;

interface Ready {
  url: string;
  token: string;
  sellerId: number;
  startupMs: number;
  heapMb: number;
}

async function serve(listings: number): Promise<void> {
  const sb = await startMlSandbox({ port: 0, listings });
  const ready: Ready = { url: sb.url, token: sb.issueToken().access_token, sellerId: sb.sellers.demo.id, startupMs: sb.startupMs, heapMb: process.memoryUsage().heapUsed / 1e6 };
  process.send?.(ready);
  process.on("message", () => void sb.close().then(() => process.exit(0)));
}

async function scanAll(ready: Ready): Promise<{ items: number; requests: number; seconds: number }> {
  const headers = { authorization: `Bearer ${ready.token}` };
  let requests = 0;
  const get = async (path: string) => {
    requests++;
    const res = await fetch(ready.url + path, { headers });
    if (res.status !== 200) throw new Error(`${path} -> ${res.status}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const t0 = performance.now();
  const base = `/users/${ready.sellerId}/items/search?search_type=scan&limit=100`;
  let page = await get(base);
  const scrollId = page.scroll_id as string;
  const queue: string[][] = [];
  let items = 0;
  let done = false;
  // Scan pages of 100 ids feed multigets of 20, with CONCURRENCY multigets in flight.
  const worker = async () => {
    for (;;) {
      const batch = queue.shift();
      if (!batch) {
        if (done) return;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      const body = (await get(`/items?ids=${batch.join(",")}`)) as unknown as unknown[];
      items += body.length;
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  while ((page.results as string[]).length > 0) {
    const ids = page.results as string[];
    for (let i = 0; i < ids.length; i += 20) queue.push(ids.slice(i, i + 20));
    page = await get(`${base}&scroll_id=${encodeURIComponent(scrollId)}`);
  }
  done = true;
  await Promise.all(workers);
  return { items, requests, seconds: (performance.now() - t0) / 1000 };
}

async function measure(listings: number): Promise<void> {
  const t0 = performance.now();
  const child = fork(fileURLToPath(import.meta.url), ["--serve", String(listings)], { execArgv: process.execArgv });
  const ready = await new Promise<Ready>((resolve) => child.once("message", (m) => resolve(m as Ready)));
  const spawnToReadyMs = performance.now() - t0;
  const cold = await scanAll(ready);
  const warm = await scanAll(ready);
  const fmt = (r: { items: number; requests: number; seconds: number }) => ({
    ...r,
    seconds: Number(r.seconds.toFixed(2)),
    requestsPerSecond: Math.round(r.requests / r.seconds),
    itemsPerSecond: Math.round(r.items / r.seconds),
  });
  console.log(
    JSON.stringify({
      listings,
      startupMs: Math.round(ready.startupMs),
      processSpawnToReadyMs: Math.round(spawnToReadyMs),
      heapMbAfterStart: Math.round(ready.heapMb),
      firstFullPass: fmt(cold),
      secondFullPass: fmt(warm),
    }),
  );
  child.send("stop");
  await new Promise((r) => child.once("exit", r));
}

const args = process.argv.slice(2);
if (args[0] === "--serve") {
  await serve(Number(args[1]));
} else {
  const sizes = args.map(Number).filter((n) => n > 0);
  for (const n of sizes.length > 0 ? sizes : [10_000, 100_000]) await measure(n);
}
