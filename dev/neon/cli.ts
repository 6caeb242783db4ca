import { closeOnSignal } from "../lib/cli";
import { neonOptionsFromEnv } from "./env";
import { startNeonHttpServer } from "./sql-http";
import { startNeonWsProxy } from "./ws-proxy";

const opts = neonOptionsFromEnv();
const ws = await startNeonWsProxy(opts.ws);
const http = await startNeonHttpServer(opts.http).catch(async (err: unknown) => {
  await ws.close();
  throw err;
});
console.log(`Neon WebSocket proxy on ws://${ws.host}:${ws.port}/v2?address=host:port`);
console.log(`Neon SQL-over-HTTP on ${http.url}/sql`);
console.log(`allowed Postgres addresses: ${(opts.ws.allow ?? []).join(", ")}`);
closeOnSignal([ws, http]);
