// `npm run sandbox`: the MercadoLibre and Tiny ERP simulators side by side for local demos.
import { parseArgs } from "node:util";
import type { RunningServer } from "./common";
import { ML_DEFAULT_PORT, sellerSkus, startMlSandbox, type MlSandbox } from "./ml";
import { startTinySandbox } from "./tiny";

const HELP = `Usage: npm run sandbox -- [options]

  --only <ml|tiny>         start just one sandbox
  --host <addr>            bind address (default 127.0.0.1)
  --ml-port <n>            MercadoLibre sandbox port (default ${ML_DEFAULT_PORT})
  --tiny-port <n>          Tiny ERP sandbox port (default 8792)
  --seed <n>               seed for both sandboxes (default 1)
  --listings <n>           ML demo seller listings (default 500, max 100000)
  --orders <n>             ML demo seller orders (default 60)
  --callback-url <url>     ML notifications callback URL
  --ml-rate-limit <n|on>   ML's per-application limit in calls/s (on = ML's documented 5/s; default off)
  --tiny-webhook-url <url> Tiny webhook URL
  --time-scale <x>         retry-delay multiplier for both notifiers (default 1)
  --database-url <url>     persist both sandboxes to Postgres (or SANDBOX_DATABASE_URL)
  --fresh                  ignore stored snapshots (ML) and start from the seed
  --no-link-skus           do not seed Tiny with the ML demo seller's SKUs
  -h, --help`;

// Seeding Tiny with every ML SKU materialises every listing; past this size the link is skipped.
const LINK_SKUS_MAX_LISTINGS = 20_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      host: { type: "string" },
      "ml-port": { type: "string" },
      "tiny-port": { type: "string" },
      seed: { type: "string" },
      listings: { type: "string" },
      orders: { type: "string" },
      "callback-url": { type: "string" },
      "ml-rate-limit": { type: "string" },
      "tiny-webhook-url": { type: "string" },
      "time-scale": { type: "string" },
      "database-url": { type: "string" },
      fresh: { type: "boolean" },
      "no-link-skus": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const host = values.host ?? "127.0.0.1";
  const seed = num(values.seed) ?? 1;
  const timeScale = num(values["time-scale"]);
  const databaseUrl = values["database-url"] ?? process.env.SANDBOX_DATABASE_URL;
  const running: RunningServer[] = [];

  let ml: MlSandbox | undefined;
  if (values.only !== "tiny") {
    ml = await startMlSandbox({
      host,
      port: num(values["ml-port"]) ?? ML_DEFAULT_PORT,
      seed,
      listings: num(values.listings),
      orders: num(values.orders),
      callbackUrl: values["callback-url"],
      timeScale,
      databaseUrl,
      freshState: values.fresh,
      ...(values["ml-rate-limit"] ? { rateLimit: values["ml-rate-limit"] === "on" ? {} : { perSecond: Number(values["ml-rate-limit"]) } } : {}),
    });
    running.push(ml);
    const listings = ml.ctx.state.sellerItems.get(ml.sellers.demo.id)?.length ?? 0;
    console.log(`MercadoLibre sandbox  ${ml.url}   (started in ${Math.round(ml.startupMs)} ms, ${listings} listings)`);
    console.log(`  app id / secret     ${ml.appId} / ${ml.clientSecret}`);
    console.log(`  demo seller         ${ml.sellers.demo.id} ${ml.sellers.demo.nickname}; second seller ${ml.sellers.second.id}`);
    console.log(`  authorize           ${ml.url}/authorization?response_type=code&client_id=${ml.appId}&redirect_uri=<your callback>&interactive=1`);
    console.log(`  control             ${ml.url}/_sandbox`);
  }

  if (values.only !== "ml") {
    const link = ml && !values["no-link-skus"] && (ml.ctx.state.sellerItems.get(ml.sellers.demo.id)?.length ?? 0) <= LINK_SKUS_MAX_LISTINGS;
    const tiny = await startTinySandbox({
      host,
      ...(num(values["tiny-port"]) !== undefined ? { port: num(values["tiny-port"]) } : {}),
      seed,
      ...(link && ml ? { skus: sellerSkus(ml) } : {}),
      ...(values["tiny-webhook-url"] ? { webhookUrl: values["tiny-webhook-url"] } : {}),
      ...(timeScale !== undefined ? { timeScale } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
    });
    running.push(tiny);
    console.log(`Tiny ERP sandbox      ${tiny.url}   (started in ${Math.round(tiny.startupMs)} ms${link ? ", products = ML demo seller SKUs" : ""})`);
    console.log(`  control             ${tiny.url}/_sandbox`);
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping sandboxes...");
    await Promise.allSettled(running.map((s) => s.close()));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
