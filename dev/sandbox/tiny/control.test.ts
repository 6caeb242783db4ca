import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHookReceiver, startTestSandbox, type HookReceiver, type TestSandbox } from "./test-helpers";

// /_sandbox is what tests and the demo use to act "inside the ERP". Each lever must change state
// the way the panel would and emit the same webhooks, and must stay out of /public-api/v3.

describe("Tiny sandbox control endpoints", () => {
  let t: TestSandbox;
  let hooks: HookReceiver;

  beforeAll(async () => {
    hooks = await startHookReceiver();
    t = await startTestSandbox({ webhookUrl: hooks.url, timeScale: 0.0001 });
  });
  afterAll(async () => {
    await t.sb.close();
    await hooks.close();
  });

  it("describes the sandbox at /_sandbox without a token", async () => {
    const res = await t.control("GET", "");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ sandbox: "tiny", seed: 42, counts: { products: 20 }, oauth: { clientId: t.sb.clientId }, webhookUrl: hooks.url });
    expect(res.json.oauth).not.toHaveProperty("clientSecret");
  });

  it("creates simple, kit and variation products that the API then serves", async () => {
    const simple = await t.control("POST", "/products", { sku: "CTL-1", descricao: "Controle", preco: 10, estoque: 8 });
    expect(simple.status).toBe(201);
    const kit = await t.control("POST", "/products", { sku: "CTL-KIT", tipo: "K", kit: [{ sku: "CTL-1", quantidade: 2 }] });
    const varied = await t.control("POST", "/products", { sku: "CTL-V", tipo: "V", variacoes: [{ sku: "CTL-V-P", estoque: 1, grade: { Tamanho: "P" } }] });
    expect(varied.json.variacoes).toHaveLength(1);
    expect((await t.api("GET", `/estoque/${kit.json.id}`)).json.saldo).toBe(4);
    expect((await t.api("GET", "/produtos?codigo=CTL-V-P")).json.itens[0].tipoVariacao).toBe("V");
    expect((await t.control("POST", "/products", { sku: "CTL-1" })).json.detalhes[0].campo).toBe("sku");
    await hooks.waitFor(2);
  });

  it("changes stock by SKU and returns the new balance with the movement id", async () => {
    const res = await t.control("POST", "/stock", { sku: "CTL-1", tipo: "S", quantidade: 3 });
    expect(res.json).toMatchObject({ sku: "CTL-1", saldo: 5, estoque: { saldo: 5 } });
    expect((await t.control("POST", "/stock", { sku: "nope", quantidade: 1 })).status).toBe(404);
    const moves = (await t.control("GET", `/movements?idProduto=${res.json.idProduto}`)).json;
    expect(moves.at(-1)).toMatchObject({ tipo: "S", quantidade: 3, origem: "sandbox", saldoAnterior: 8, saldoPosterior: 5 });
  });

  it("creates channel orders and moves them through statuses by number or slug", async () => {
    const order = await t.control("POST", "/orders", { itens: [{ sku: "CTL-1", quantidade: 1 }], numeroPedidoEcommerce: "ML-555", marcadores: ["ml"] });
    expect(order.status).toBe(201);
    const detail = (await t.api("GET", `/pedidos/${order.json.id}`)).json;
    expect(detail.ecommerce).toMatchObject({ nome: "Mercado Livre", numeroPedidoEcommerce: "ML-555" });
    expect(detail.valorTotalProdutos).toBe(10);
    const changed = await t.control("POST", `/orders/${order.json.id}/situacao`, { situacao: "preparando_envio" });
    expect(changed.json).toMatchObject({ codigoSituacao: "preparando_envio", idPedidoEcommerce: "ML-555" });
    expect((await t.control("POST", `/orders/${order.json.id}/situacao`, { situacao: 6 })).json.codigoSituacao).toBe("entregue");
    expect((await t.control("POST", `/orders/${order.json.id}/situacao`, { situacao: "voando" })).status).toBe(400);
    expect((await t.api("GET", `/pedidos/${order.json.id}`)).json.situacao).toBe(6);
  });

  it("mints tokens, switches the consent mode and replays webhooks on demand", async () => {
    const minted = await t.control("POST", "/oauth/token");
    expect(minted.json.expires_in).toBe(14400);
    expect((await t.api("GET", "/info", undefined, minted.json.access_token)).status).toBe(200);
    expect((await t.control("PUT", "/oauth", { mode: "deny" })).json.mode).toBe("deny");
    await t.control("PUT", "/oauth", { mode: "approve" });
    hooks.received.length = 0;
    const emitted = await t.control("POST", "/webhooks/emit", { tipo: "estoque", sku: "CTL-1" });
    expect(emitted.json.status).toBe("pending");
    const [hook] = await hooks.waitFor(1);
    // The order above only reserved stock; the physical balance is unchanged.
    expect(hook?.body.dados).toMatchObject({ sku: "CTL-1", saldo: 5 });
    expect((await t.control("GET", "/webhooks")).json.settings.retrySchedule).toHaveLength(10);
  });

  it("advances the shared clock and exposes quotas and counters", async () => {
    const before = (await t.control("GET", "/clock")).json.offsetMs;
    await t.control("POST", "/clock/advance", { seconds: 30 });
    expect((await t.control("GET", "/clock")).json.offsetMs).toBe(before + 30_000);
    expect((await t.control("GET", "/quotas")).json.settings).toMatchObject({ readPerMinute: expect.any(Number), writePerMinute: expect.any(Number) });
    expect((await t.control("GET", "/counters")).json.total).toBeGreaterThan(0);
    expect((await t.control("GET", "/nothing-here")).status).toBe(404);
  });
});
