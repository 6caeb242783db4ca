import { parseArgs } from "node:util";
import { checkProductionEnv, loadProductionEnv, probeProductionEnv } from "./env-check";

/**
 * npm run env:check -- --worker worker.secrets.env --jobs jobs.env [--compose .env] [--offline]
 * (docs/deploy.md, "6. Check the configuration"). Exit 0: nothing refused; 1: see the list; 2: bad usage.
 */
const usage = "usage: npm run env:check -- --worker <worker secrets file> --jobs <jobs.env> [--compose <compose .env>] [--offline]";
let values: { worker?: string | undefined; jobs?: string | undefined; compose?: string | undefined; offline?: boolean | undefined };
try {
  ({ values } = parseArgs({ options: { worker: { type: "string" }, jobs: { type: "string" }, compose: { type: "string" }, offline: { type: "boolean" } } }));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (!values.worker || !values.jobs) {
  console.error(usage);
  process.exit(2);
}

const env = loadProductionEnv({ workerSecrets: values.worker, jobsEnv: values.jobs, composeEnv: values.compose });
const offline = checkProductionEnv(env);
const refusals = [...offline, ...(values.offline ? [] : await probeProductionEnv(env, offline))];
for (const refusal of refusals) console.error(`✗ ${refusal.side} ${refusal.variable} ${refusal.problem}\n    fix: ${refusal.fix}`);
if (refusals.length > 0) {
  console.error(`\n${refusals.length} problem(s); nothing was deployed.`);
  process.exit(1);
}
console.log(
  `✓ production configuration: Worker (${Object.keys(env.worker).length} variables) and jobs (${Object.keys(env.jobs).length})${values.offline ? "" : "; QStash, Neon and Upstash answered"}`,
);
