// Start-up time and throughput of the Tiny sandbox (quotas off, loopback, autocannon).
// Run: npx tsx dev/sandbox/tiny/bench.ts [products...]   (default: 10000 100000)
import autocannon from "autocannon";
import { startTinySandbox } from "./index";

const DURATION_S = 5;
const CONNECTIONS = 16;

async function load(title: string, opts: autocannon.Options): Promise<void> {
  const result = await autocannon({ duration: DURATION_S, connections: CONNECTIONS, ...opts });
  const non2xx = result.non2xx + result.errors;
  console.log(
    `  ${title.padEnd(34)} ${Math.round(result.requests.average).toString().padStart(6)} req/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms${non2xx ? `   (${non2xx} non-2xx/errors)` : ""}`,
  );
}

async function measure(products: number): Promise<void> {
  const t0 = performance.now();
  const sb = await startTinySandbox({ port: 0, products, quotas: { enabled: false } });
  const wall = Math.round(performance.now() - t0);
  console.log(`${products} products: startup ${wall} ms, heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB`);
  const { access_token } = await sb.issueTokens();
  const headers = { authorization: `Bearer ${access_token}`, "content-type": "application/json" };
  const ids = [...sb.state().products.keys()];
  const mid = ids[Math.floor(ids.length / 2)] ?? 0;
  const contact = sb.state().contacts.keys().next().value ?? 0;

  await load("GET /produtos?limit=100&offset=n/2", { url: `${sb.apiUrl}/produtos?limit=100&offset=${Math.floor(products / 2)}`, headers });
  await load("GET /produtos?codigo=<sku>", { url: `${sb.apiUrl}/produtos?codigo=SKU-${Math.floor(products / 2)}`, headers });
  await load("GET /estoque/{id}", { url: `${sb.apiUrl}/estoque/${mid}`, headers });
  await load("POST /estoque/{id} (E 1)", { url: `${sb.apiUrl}/estoque/${mid}`, method: "POST", headers, body: JSON.stringify({ tipo: "E", quantidade: 1 }) });
  let n = 0;
  await load("POST /pedidos (unique payloads)", {
    url: `${sb.apiUrl}/pedidos`,
    method: "POST",
    headers,
    setupClient: (client) => client.setBody(JSON.stringify({ idContato: contact, numeroOrdemCompra: `B-${n++}`, itens: [{ produto: { id: mid }, quantidade: 1, valorUnitario: 10 }] })),
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ idContato: contact, numeroOrdemCompra: `B-${n++}`, itens: [{ produto: { id: mid }, quantidade: 1, valorUnitario: 10 }] }) }),
      },
    ],
  });
  await sb.close();
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
for (const size of sizes.length ? sizes : [10_000, 100_000]) await measure(size);
