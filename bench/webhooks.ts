/**
 * The webhook edge alone (issue 18): `POST /webhooks/ml` under wrangler dev with the local QStash
 * holding every delivery (QSTASH_LOCAL_HOLD), so the jobs side costs nothing and what is measured is
 * what production's edge does per notification: the source rate limit (Upstash REST), the account
 * check, the QStash publish. Beside it, in the same run, the floor: an empty Worker under the same
 * wrangler dev. Rounds alternate, floor first, at 1 and at 20 connections (closed loop), each round
 * BENCH_WEBHOOK_REQUESTS requests (default 2,000), BENCH_WEBHOOK_ROUNDS rounds (default 3).
 *
 * Then where workerd's CPU goes per notification: V8's sampling profiler through workerd's inspector,
 * attributed to the bundled module each function came from.
 *
 * The pipeline end to end (deliveries not held) is `webhooks-pipeline.ts`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dropDatabase } from "#db/migrate";
import { DEMO_SELLER_ID } from "#dev/sandbox/ml";
import { isolatedStackConfig } from "#dev/stack/config";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { localTokenEncryptionKeys, startStack } from "#dev/stack/start";
import { connectSandboxSeller } from "#test/support/ml-seller";
import WebSocket from "ws";
import { closedLoop, type ClosedLoopResult } from "./closed-loop";
import { machineLine, startFloorWorker, writeSection } from "./lib";

const rounds = Number(process.env.BENCH_WEBHOOK_ROUNDS ?? 3);
const perRound = Number(process.env.BENCH_WEBHOOK_REQUESTS ?? 2_000);
const profiledRequests = Number(process.env.BENCH_WEBHOOK_PROFILED ?? 2_000);
const connectionLevels = [1, 20];
const appId = "5503910054141466";
// The per-source flood limit protects production; here one address is the load on purpose. It is still counted on every request.
const benchVars = { WEBHOOK_RATE_LIMIT_PER_MINUTE: "100000000" };

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0);
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const root = fileURLToPath(new URL("..", import.meta.url));

/** CPU seconds (user + system) a process has used, from /proc: robust to other load on the box, unlike latency. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // Gone (a reload); the round is then left out.
  }
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** A process and everything it started (wrangler starts workerd), by name. */
function processTree(pid: number): Array<{ pid: number; name: string }> {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone while listing.
    }
  }
  const out: Array<{ pid: number; name: string }> = [];
  const walk = (p: number) => {
    const name = commandName(p);
    if (!name) return; // Gone while listing.
    out.push({ pid: p, name });
    for (const child of parents.get(p) ?? []) walk(child);
  };
  walk(pid);
  return out;
}

// Unique per request ({n}), so neither QStash's deduplication nor anything else short-cuts a repeat.
const body = JSON.stringify({
  _id: "bench-{n}",
  resource: "/orders/{n}",
  user_id: DEMO_SELLER_ID,
  topic: "orders_v2",
  application_id: Number(appId),
  attempts: 1,
  sent: "2026-12-07T12:00:00.000Z",
  received: "2026-12-07T12:00:00.000Z",
});

const base = await isolatedStackConfig();
const config = { ...base, qstashHold: true, sandbox: { ...base.sandbox, listings: 0, orders: 0, products: 0 } };
const stack = await startStack(config, { quiet: true, readyTimeoutMs: 90_000, workerVars: benchVars });
const floor = await startFloorWorker();

try {
  await connectSandboxSeller({
    databaseUrl: config.databaseUrl,
    tokenKeys: localTokenEncryptionKeys,
    sandbox: { url: stack.urls.mlSandbox!, appId, clientSecret: "sandbox-client-secret" },
    mlUserId: DEMO_SELLER_ID,
  });
  const targets = { floor: floor.url, webhook: `${stack.urls.worker}/webhooks/ml` };
  // Looked up at every round: wrangler dev replaces workerd when a source file changes (others may be editing this tree).
  const roots = { floor: floor.child.process.pid!, webhook: stack.processes.worker.process.pid! };
  const redisPid = readdirSync("/proc").find((entry) => /^\d+$/.test(entry) && commandName(Number(entry)) === "redis-server");
  const cpuGroups = (name: keyof typeof targets, tree = processTree(roots[name])) => ({
    workerd: tree.filter((p) => p.name === "workerd").map((p) => p.pid),
    "wrangler (Node)": tree.filter((p) => p.name !== "workerd").map((p) => p.pid),
    "bench process: client thread + stand-ins": [process.pid],
    ...(redisPid ? { "redis-server (shared with the box)": [Number(redisPid)] } : {}),
  });
  const cpu = new Map<string, { seconds: number; requests: number }>();
  let offset = 9_000_000_000;
  const send = async (url: string, connections: number, requests: number, name?: keyof typeof targets) => {
    const groups = name ? Object.entries(cpuGroups(name)) : [];
    const before = groups.map(([, pids]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0));
    const result = await closedLoop({ url, connections, requests, body, offset, collectHeader: "server-timing" });
    // A Worker reloaded during the round has other processes now: its CPU cannot be counted (its latencies still are).
    const reloaded = name !== undefined && JSON.stringify(Object.values(cpuGroups(name))) !== JSON.stringify(groups.map(([, pids]) => pids));
    if (reloaded) console.log(`${name}@${connections}: wrangler reloaded the Worker during this round; its CPU is left out`);
    if (!reloaded)
      groups.forEach(([group, pids], i) => {
        const key = `${name}@${connections}|${group}`;
        const entry = cpu.get(key) ?? { seconds: 0, requests: 0 };
        entry.seconds += pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - before[i]!;
        entry.requests += requests;
        cpu.set(key, entry);
      });
    offset += requests;
    return result;
  };
  // Warm both isolates, their connections and the account cache before anything counts.
  for (const url of Object.values(targets)) await send(url, 20, 500);

  type Key = `${keyof typeof targets}@${number}`;
  const runs = new Map<Key, ClosedLoopResult[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const connections of connectionLevels) {
      for (const name of ["floor", "webhook"] as const) {
        const result = await send(targets[name], connections, perRound, name);
        const key: Key = `${name}@${connections}`;
        runs.set(key, [...(runs.get(key) ?? []), result]);
        console.log(
          `round ${round} ${key}: p50 ${ms(percentile(result.latencies, 50))} p99 ${ms(percentile(result.latencies, 99))} max ${ms(result.latencies.at(-1)!)} non-2xx ${result.non2xx + result.errors}`,
        );
      }
    }
  }

  const held = (await (await fetch(`${stack.urls.qstash}/v2/events?state=ACTIVE&count=1`, { headers: { authorization: `Bearer ${config.qstashToken}` } })).json()) as { events: unknown[] };
  if (held.events.length > 0) throw new Error("QStash delivered during the run: the hold did not hold");

  const pooled = (key: Key) => {
    const results = runs.get(key)!;
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const seconds = results.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1)!,
      perRoundP99: results.map((r) => percentile(r.latencies, 99)),
      rps: latencies.length / seconds,
      non2xx: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
      requests: latencies.length,
      timings: results.flatMap((r) => r.collected),
    };
  };
  const rows: string[] = [];
  const verdicts: string[] = [];
  for (const connections of connectionLevels) {
    const f = pooled(`floor@${connections}`);
    const w = pooled(`webhook@${connections}`);
    const ratio = w.p99 / f.p99;
    for (const [label, r] of [
      ["floor: empty Worker", f],
      ["POST /webhooks/ml, deliveries held", w],
    ] as const) {
      rows.push(
        `| ${label} | ${connections} | ${r.requests} | ${Math.round(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.perRoundP99.map(ms).join(", ")} | ${ms(r.max)} | ${r === f ? "1" : (r.p99 / f.p99).toFixed(2)} | ${r.non2xx} |`,
      );
    }
    verdicts.push(`${connections} connection${connections === 1 ? "" : "s"}: ${ratio.toFixed(2)}× the floor's p99, ${w.non2xx} non-2xx — **${ratio <= 1.5 && w.non2xx === 0 ? "met" : "not met"}**`);
  }

  // Server-Timing: workerd's clock moves only at I/O, so each figure is the wall time of a network wait (or ~0 for pure compute).
  const steps = new Map<string, number[]>();
  for (const connections of connectionLevels) {
    for (const header of pooled(`webhook@${connections}`).timings) {
      for (const part of header.split(",")) {
        const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
        if (!match) continue;
        const key = `${match[1]}@${connections}`;
        steps.set(key, [...(steps.get(key) ?? []), Number(match[2])]);
      }
    }
  }
  const stepNames = [...new Set([...steps.keys()].map((k) => k.split("@")[0]!))];
  const stepRows = stepNames.map((name) => {
    const cells = connectionLevels.map((c) => {
      const values = (steps.get(`${name}@${c}`) ?? []).sort((a, b) => a - b);
      return `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;
    });
    return `| ${name} | ${cells.join(" | ")} |`;
  });

  const cpuNames = [...new Set([...cpu.keys()].map((k) => k.split("|")[1]!))];
  const cpuUs = (key: string) => {
    const entry = cpu.get(key);
    return entry ? (entry.seconds * 1e6) / entry.requests : 0;
  };
  const cpuRows = cpuNames.map((group) => `| ${group} | ${connectionLevels.map((c) => `${cpuUs(`floor@${c}|${group}`).toFixed(0)} | ${cpuUs(`webhook@${c}|${group}`).toFixed(0)}`).join(" | ")} |`);
  const cpuTotal = (name: string, c: number) => cpuNames.reduce((sum, group) => sum + cpuUs(`${name}@${c}|${group}`), 0);
  cpuRows.push(`| **all** | ${connectionLevels.map((c) => `**${cpuTotal("floor", c).toFixed(0)}** | **${cpuTotal("webhook", c).toFixed(0)}**`).join(" | ")} |`);

  // Profiled apart from the timed rounds: the profiler slows what it watches.
  const profile = await profileWorkerd(stack.processes.worker.process.pid!, cpuUs("webhook@20|workerd"), () => send(targets.webhook, 20, profiledRequests)).catch((error: Error) => ({
    samples: 0,
    rows: [`| (no profile: ${error.message}) | | |`],
    top: [],
  }));

  const summary = `## Webhook edge (issue 18)

Run: \`npm run bench -- webhooks\` on ${new Date().toISOString().slice(0, 10)}; ${machineLine()}.
Path: closed-loop client (its own thread) → wrangler dev (workerd) → \`POST /webhooks/ml\`: the per-source rate limit (Upstash REST
stand-in → Redis), the account check (isolate cache), the publish to the local QStash, which holds every delivery
(\`QSTASH_LOCAL_HOLD\`) so the jobs side costs nothing, as in production where it runs elsewhere. The floor is an empty Worker
(\`bench/fixtures/floor-worker\`) under the same wrangler dev, measured in the same run: ${rounds} rounds, each the floor then the
route at 1 connection, then both at 20 connections, ${perRound} requests per round and target; every notification unique. The
rate limit is raised (\`WEBHOOK_RATE_LIMIT_PER_MINUTE\`) but still counted on every request; \`LOG_LEVEL\` is the deployed \`info\`.

| target | connections | requests | req/s | p50 ms | p99 ms | p99 per round ms | max ms | p99 / floor p99 | non-2xx |
|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

Target: ack p99 ≤ 1.5 × the floor's p99, 0 non-2xx. ${verdicts.join("; ")}.

CPU per request, by process (µs, from /proc; the box's other load does not inflate these as it does latency; the floor's
bench-process row is the client alone, the route's adds the stand-ins):

| process | ${connectionLevels.map((c) => `floor, ${c} conn. | webhook, ${c} conn.`).join(" | ")} |
|---|${connectionLevels.map(() => "---|---|").join("")}
${cpuRows.join("\n")}

Inside the Worker (Server-Timing of every answer, p50 / p99 ms). workerd's clock advances only at I/O, so each figure is the
wall time of the network waits it spans; \`handler\` is the rest of the handler (parse, validation, decisions, hashing), which
shows as ~0 there, and is timed below instead.

| step | 1 connection | 20 connections |
|---|---|---|
${stepRows.join("\n")}

### Where workerd spends its CPU on a notification

V8's sampling profiler inside workerd (through its inspector), ${profiledRequests} more notifications at 20 connections after the timed
rounds, ${profile.samples} busy samples of the Worker's thread, attributed to the module each function comes from. workerd's clock
moves only at I/O, so the samples' own times are not used: each share is turned into µs with workerd's CPU per notification at
20 connections in the timed rounds (${cpuUs("webhook@20|workerd").toFixed(0)} µs, from /proc). "native" is what runs outside
JavaScript (the HTTP server, streams); "subrequests" is time inside \`fetch\` itself.

| who | µs per notification | share |
|---|---|---|
${profile.rows.join("\n")}

Heaviest JavaScript functions (self time) of ours and of our libraries:

| function | module | µs per notification |
|---|---|---|
${profile.top.join("\n")}`;
  console.log(summary);
  await writeSection("webhooks", summary);
} finally {
  await floor.child.stop();
  await stack.stop();
  await dropDatabase(config.databaseUrl);
  await deleteKeysWithPrefix(config.redisUrl, config.redisKeyPrefix);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The DevTools endpoint of the Worker that this wrangler dev serves, among the ports its process tree listens on. */
async function workerdInspector(rootPid: number): Promise<string> {
  const pids = new Set(processTree(rootPid).map((p) => p.pid));
  const ports = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((m) => pids.has(Number(m[1]))))
    .map((line) => /127\.0\.0\.1:(\d+)/.exec(line)?.[1])
    .filter((port): port is string => Boolean(port));
  for (const port of ports) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1_000) })).json()) as Array<{ id: string; webSocketDebuggerUrl: string }>;
      // wrangler's own inspector proxy (…/ws) serves the one user Worker; workerd's raw endpoint allows a single session, wrangler's.
      const target = targets.find((t) => t.webSocketDebuggerUrl.endsWith("/ws"));
      if (target) return target.webSocketDebuggerUrl;
    } catch {
      // Not an inspector.
    }
  }
  throw new Error(`no inspector among ports ${ports.join(", ")}`);
}

/**
 * V8's sampling profile of the Worker inside workerd while \`load\` runs, attributed to the module each
 * function came from (wrangler's bundle keeps esbuild's "// path" header before each module).
 */
async function profileWorkerd(rootPid: number, workerdUs: number, load: () => Promise<unknown>) {
  const socket = new WebSocket(await workerdInspector(rootPid), { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let nextId = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  let closed: Error | undefined;
  // wrangler dev reloads the Worker when a source file changes, which ends this session: fail, do not hang.
  socket.once("close", () => (closed = new Error("the inspector session closed (did wrangler reload the Worker?)")));
  const send = <T>(method: string, params: unknown = {}) =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(closed);
      const id = ++nextId;
      const timer = setTimeout(() => reject(closed ?? new Error(`${method}: no answer from the inspector`)), 60_000);
      pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result as T);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  await load();
  const { profile } = await send<{ profile: { nodes: ProfileNode[]; startTime: number; endTime: number } }>("Profiler.stop");
  socket.close();

  // The profile names the bundle only "index.js": it is the newest of wrangler's bundles whose lines hold the sampled functions.
  const named = profile.nodes.filter((node) => node.callFrame.url === "index.js" && node.callFrame.functionName.length > 3).slice(0, 20);
  const bundleDir = `${root}.wrangler/tmp`;
  const matches = (text: string[]) => named.filter((node) => text[node.callFrame.lineNumber]?.includes(node.callFrame.functionName)).length;
  const bundleText = readdirSync(bundleDir)
    .filter((dir) => dir.startsWith("dev-"))
    .map((dir) => {
      try {
        return readFileSync(`${bundleDir}/${dir}/index.js`, "utf8").split("\n");
      } catch {
        return [];
      }
    })
    .map((text) => ({ text, score: matches(text) }))
    .sort((a, b) => b.score - a.score)
    .find(({ score }) => score >= named.length * 0.8)?.text;
  if (!bundleText) console.log(`no bundle matched the profile's functions (${named.map((n) => n.callFrame.functionName).join(", ")})`);
  const headers: Array<{ line: number; module: string }> = [];
  bundleText?.forEach((text, i) => {
    const match = /^\/\/ ((?:node_modules|worker|core|db|integrations|domain|\.wrangler)\/\S+)$/.exec(text);
    if (match) headers.push({ line: i, module: match[1]! });
  });
  const moduleOf = (url: string, line: number) => {
    if (url !== "index.js") return url;
    let found = url;
    for (const header of headers) {
      if (header.line > line) break;
      found = header.module;
    }
    return found;
  };
  const owner = (module: string, fn: string) => {
    if (fn === "(idle)") return "idle";
    if (fn === "(garbage collector)") return "garbage collector";
    if (fn === "(program)") return "workerd native: HTTP server, streams, V8 outside JS";
    if (module.startsWith("worker/")) return "Worker: routes, services, middleware";
    if (module.startsWith("core/") || module.startsWith("db/")) return "core/ and db/ (errors, logging, job catalog)";
    if (module.startsWith(".wrangler/") || module.includes("wrangler/templates")) return "wrangler dev's own wrappers";
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module)?.[1];
    if (pkg) return `library: ${pkg}`;
    if (fn === "fetch") return "workerd: subrequests (fetch)";
    return `workerd built-ins: ${["Response", "Headers", "URL", "Request"].includes(fn) ? "Response, Headers, URL" : fn.includes("tracing") ? "tracing" : fn.includes("Timeout") ? "timers" : "other"}`;
  };
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    if (!hits) continue;
    const module = moduleOf(node.callFrame.url, node.callFrame.lineNumber);
    const who = owner(module, node.callFrame.functionName);
    byOwner.set(who, (byOwner.get(who) ?? 0) + hits);
    if (who.startsWith("Worker") || who.startsWith("core") || who.startsWith("library")) {
      const key = `${node.callFrame.functionName || "(anonymous)"} | ${module.replace(/^node_modules\//, "")}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    }
  }
  // workerd's clock moves only at I/O, so sample times say little; shares of the busy samples are what the profile tells, and
  // they are turned into µs with workerd's CPU per notification measured from /proc in the timed rounds.
  const busy = total - (byOwner.get("idle") ?? 0);
  const perRequest = (hits: number) => (hits / Math.max(1, busy)) * workerdUs;
  return {
    samples: busy,
    rows: [...byOwner]
      .filter(([who]) => who !== "idle")
      .sort((a, b) => b[1] - a[1])
      .map(([who, hits]) => `| ${who} | ${perRequest(hits).toFixed(0)} | ${((100 * hits) / busy).toFixed(0)} % |`),
    top: [...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([key, hits]) => `| ${key} | ${perRequest(hits).toFixed(1)} |`),
  };
}
