import { stackConfigFromEnv } from "./config";
import { startStack } from "./start";

const started = performance.now();
const config = stackConfigFromEnv();
const stack = await startStack(config);
const seconds = ((performance.now() - started) / 1000).toFixed(1);

const rows = [
  ["API (Worker, wrangler dev)", stack.urls.worker],
  ["API docs", `${stack.urls.worker}/docs`],
  ["Jobs container", stack.urls.jobs],
  ["Bull Board", `${stack.urls.jobsAdmin}/admin/queues  (${config.adminUsername} / ${config.adminPassword})`],
  ["Jobs metrics", `${stack.urls.jobsAdmin}/metrics  (Authorization: Bearer ${config.metricsToken})`],
  ["QStash (local)", stack.urls.qstash],
  ["Upstash Redis REST (local)", stack.urls.redisRest],
  ["Neon SQL over HTTP (local)", stack.urls.neonHttp],
  ["Neon WebSocket proxy (local)", stack.urls.neonWs],
  ["MercadoLibre sandbox", stack.urls.mlSandbox],
  ["Tiny ERP sandbox", stack.urls.tinySandbox],
  ["PostgreSQL", config.databaseUrl],
  ["Redis", `${config.redisUrl} (prefix ${config.redisKeyPrefix}:)`],
].filter((row): row is [string, string] => Boolean(row[1]));

console.log(`\nAutoEcom local stack ready in ${seconds} s\n`);
for (const [name, url] of rows) console.log(`  ${name.padEnd(30)} ${url}`);
if (config.qstashHold) console.log(`\nQSTASH_LOCAL_HOLD: QStash delivers nothing until POST ${stack.urls.qstash}/v2/local/release (with the QStash token).`);
console.log("\nCtrl-C stops everything.\n");

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the stack…`);
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
