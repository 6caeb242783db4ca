import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TINY_RETRY_SCHEDULE_MS } from "./index";
import { firstContactId, firstStockedProduct, startHookReceiver, startTestSandbox, type HookReceiver, type TestSandbox } from "./test-helpers";

// Outbound notifications as Tiny's "Webhooks" extension sends them: 4-key envelope, string ids,
// DD/MM/YYYY dates, physical balance only, and 10 retries 5, 10, … 50 minutes apart unless the
// receiver answers exactly 200. A time scale compresses those minutes into milliseconds.

// 5 min × 0.00002 = 6 ms; the whole 10-retry schedule (275 min) runs in ~0.33 s.
const TIME_SCALE = 0.00002;

describe("Tiny outbound webhooks", () => {
  let t: TestSandbox;
  let hooks: HookReceiver;

  beforeAll(async () => {
    hooks = await startHookReceiver();
    t = await startTestSandbox({ timeScale: TIME_SCALE, webhookUrl: hooks.url });
  });
  afterEach(async () => {
    await t.sb.webhooks.idle();
    hooks.received.length = 0;
    hooks.respond = () => 200;
  });
  afterAll(async () => {
    await t.sb.close();
    await hooks.close();
  });

  it("uses Tiny's retry schedule: 10 retries, +5 min each", () => {
    expect(TINY_RETRY_SCHEDULE_MS).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50].map((m) => m * 60_000));
    expect(t.sb.webhooks.settings()).toMatchObject({ timeScale: TIME_SCALE, retrySchedule: TINY_RETRY_SCHEDULE_MS });
  });

  it("sends `estoque` with the physical balance after a stock movement", async () => {
    const p = firstStockedProduct(t.sb);
    await t.api("POST", `/estoque/${p.id}`, { tipo: "B", quantidade: 42 });
    const [hook] = await hooks.waitFor(1);
    expect(hook?.body).toEqual({ versao: "1.0.1", cnpj: t.sb.state().account.cnpj, tipo: "estoque", dados: { idProduto: p.id, sku: p.sku, nome: expect.any(String), saldo: 42 } });
    expect(hook?.body.cnpj).toMatch(/^\d{14}$/);
    expect(hook?.headers["content-type"]).toBe("application/json");
  });

  it("sends inclusao_pedido and atualizacao_pedido with string ids and DD/MM/YYYY dates", async () => {
    const p = firstStockedProduct(t.sb);
    const created = await t.api("POST", "/pedidos", { data: "2026-07-11", idContato: firstContactId(t.sb), itens: [{ produto: { id: p.id }, quantidade: 1, valorUnitario: 10 }] });
    await t.api("PUT", `/pedidos/${created.json.id}/situacao`, { situacao: 3 });
    const received = await hooks.waitFor(2);
    const byType = Object.fromEntries(received.map((h) => [h.body.tipo, h.body.dados]));
    expect(byType.inclusao_pedido).toMatchObject({
      id: String(created.json.id),
      numero: created.json.numeroPedido,
      data: "11/07/2026",
      codigoSituacao: "aberto",
      idNotaFiscal: "0",
      idContato: String(firstContactId(t.sb)),
    });
    expect(byType.atualizacao_pedido).toMatchObject({ codigoSituacao: "aprovado", descricaoSituacao: "Aprovado" });
    expect(Object.keys(received[0]?.body ?? {})).toEqual(["versao", "cnpj", "tipo", "dados"]);
  });

  it("retries a failing receiver until it answers 200 (a 204 is a failure too)", async () => {
    hooks.respond = (n) => (n < 2 ? 500 : n < 3 ? 204 : 200);
    const p = firstStockedProduct(t.sb);
    await t.api("POST", `/estoque/${p.id}`, { tipo: "E", quantidade: 1 });
    const received = await hooks.waitFor(4);
    await t.sb.webhooks.idle();
    expect(received).toHaveLength(4);
    expect(new Set(received.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const attempts = t.sb.webhooks.attempts().slice(-4);
    expect(attempts.map((a) => a.httpCode)).toEqual([500, 500, 204, 200]);
    const gaps = received.slice(1).map((r, i) => r.at - (received[i]?.at ?? 0));
    // Retry 2 waits twice as long as retry 1, retry 3 three times as long (scaled minutes).
    expect(gaps[0]).toBeGreaterThanOrEqual(5 * 60_000 * TIME_SCALE - 2);
    expect(gaps[2]).toBeGreaterThanOrEqual(15 * 60_000 * TIME_SCALE - 2);
  });

  it("gives up after the 10th retry (11 attempts)", async () => {
    hooks.respond = () => 503;
    const p = firstStockedProduct(t.sb);
    await t.api("POST", `/estoque/${p.id}`, { tipo: "E", quantidade: 1 });
    await hooks.waitFor(11, 15_000);
    await t.sb.webhooks.idle();
    expect(hooks.received).toHaveLength(11);
    expect(t.sb.webhooks.deliveries({ status: "failed" }).length).toBeGreaterThanOrEqual(1);
  });

  it("emits what the panel would from control endpoints (stock change, status change)", async () => {
    const p = firstStockedProduct(t.sb);
    const res = await t.control("POST", "/stock", { sku: p.sku, tipo: "B", quantidade: 7 });
    expect(res.json.saldo).toBe(7);
    const order = await t.control("POST", "/orders", { itens: [{ sku: p.sku, quantidade: 1 }] });
    expect(order.status).toBe(201);
    await t.control("POST", `/orders/${order.json.id}/situacao`, { situacao: "enviado" });
    const received = await hooks.waitFor(3);
    expect(received.map((r) => r.body.tipo)).toEqual(["estoque", "inclusao_pedido", "atualizacao_pedido"]);
    expect(received[2]?.body.dados.codigoSituacao).toBe("enviado");
  });

  it("sends nothing when no URL is configured, and the URL can be changed live", async () => {
    await t.control("PUT", "/webhooks/target", { url: null });
    const p = firstStockedProduct(t.sb);
    await t.api("POST", `/estoque/${p.id}`, { tipo: "E", quantidade: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(hooks.received).toHaveLength(0);
    await t.control("PUT", "/webhooks/target", { url: hooks.url });
    await t.api("POST", `/estoque/${p.id}`, { tipo: "E", quantidade: 1 });
    await hooks.waitFor(1);
  });
});
