import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { firstContactId, firstStockedProduct, startTestSandbox, type TestSandbox } from "./test-helpers";

// Order creation, de-duplication, status and the stock they post: the sync engine's correctness
// depends on these exact behaviours (409 hides the id, stock posts once, cancel keeps stock out).

describe("Tiny orders, stock and invoices", () => {
  let t: TestSandbox;
  let product: { id: number; sku: string; saldo: number };
  let contactId: number;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestSandbox();
  });
  beforeEach(() => {
    t.sb.reset();
    product = firstStockedProduct(t.sb);
    contactId = firstContactId(t.sb);
  });
  afterAll(async () => {
    await t.sb.close();
  });

  const saldo = async (id = product.id) => (await t.api("GET", `/estoque/${id}`)).json as { saldo: number; reservado: number; disponivel: number };
  const newOrder = (extra: Record<string, unknown> = {}) =>
    t.api("POST", "/pedidos", { idContato: contactId, numeroOrdemCompra: `SHOP-${++seq}`, itens: [{ produto: { id: product.id }, quantidade: 2, valorUnitario: 10 }], ...extra });

  it("creates with 201 {id, numeroPedido: string}; GET returns numeroPedido as an integer and Tiny's defaults", async () => {
    const res = await newOrder({ valorFrete: 5, valorDesconto: 1 });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ id: expect.any(Number), numeroPedido: "1" });
    const order = (await t.api("GET", `/pedidos/${res.json.id}`)).json;
    expect(order).toMatchObject({
      numeroPedido: 1,
      situacao: 0,
      valorTotalProdutos: 20,
      valorTotalPedido: 24,
      idNotaFiscal: 0,
      listaPreco: { id: 0, nome: "Padrão" },
      pagamento: { formaPagamento: { id: 1, nome: "Múltiplas" } },
      deposito: { nome: "Geral" },
      cliente: { id: contactId },
      itens: [{ produto: { id: product.id, sku: product.sku }, quantidade: 2, valorUnitario: 10 }],
    });
    expect((await newOrder()).json.numeroPedido).toBe("2");
  });

  it("answers 409 'Esse registro já existe' without the id for an identical payload, until the window passes", async () => {
    const body = { idContato: contactId, numeroOrdemCompra: "DUP-1", itens: [{ produto: { id: product.id }, quantidade: 1, valorUnitario: 10 }] };
    expect((await t.api("POST", "/pedidos", body)).status).toBe(201);
    const dup = await t.api("POST", "/pedidos", { itens: body.itens, numeroOrdemCompra: "DUP-1", idContato: contactId });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ mensagem: "Esse registro já existe" });
    expect((await t.api("POST", "/pedidos", { ...body, observacoes: "diferente" })).status).toBe(201);
    t.sb.clock.advance(31 * 60_000);
    expect((await t.api("POST", "/pedidos", body)).status).toBe(201);
  });

  it("accepts a repeated e-commerce order number on a registered channel (only the payload hash is checked), and drops the number without a channel", async () => {
    const channel = t.sb.state().lookups.ecommerces[0]?.id;
    expect((await newOrder({ ecommerce: { id: channel, numeroPedidoEcommerce: "ML-2000001" } })).status).toBe(201);
    // A different payload with the same number: Tiny creates a second order (tiny-api.md §7.7), so integrators must look before creating.
    expect((await newOrder({ ecommerce: { id: channel, numeroPedidoEcommerce: "ML-2000001" } })).status).toBe(201);
    const found = await t.api("GET", "/pedidos?numeroPedidoEcommerce=ML-2000001");
    expect(found.json.paginacao.total).toBe(2);
    const orphan = await newOrder({ ecommerce: { id: 999, numeroPedidoEcommerce: "ML-X" } });
    expect(orphan.status).toBe(201);
    expect((await t.api("GET", `/pedidos/${orphan.json.id}`)).json.ecommerce.numeroPedidoEcommerce).toBe("");
  });

  it("validates references with ErrorDTO detalhes", async () => {
    const res = await t.api("POST", "/pedidos", { idContato: 1, itens: [{ produto: { id: 2 }, quantidade: 0, valorUnitario: 1 }] });
    expect(res.status).toBe(400);
    expect(res.json.detalhes.map((d: { campo: string }) => d.campo)).toEqual(["idContato", "itens[0].produto.id", "itens[0].quantidade"]);
    const disabled = t.sb.state().lookups.formasEnvio.find((f) => f.situacao !== 1)?.id;
    const shipping = await newOrder({ transportador: { formaEnvio: { id: disabled } } });
    expect(shipping.json.detalhes).toEqual([{ campo: "transportador.formaEnvio.id", mensagem: "Forma de envio não habilitada" }]);
    const typed = await t.api("POST", "/pedidos", { idContato: contactId, situacao: { x: 1 } });
    expect(typed.json.detalhes[0].mensagem).toBe("O tipo de dado 'stdClass' não é válido para a propriedade 'situacao' do tipo 'int'");
    expect((await t.api("POST", "/pedidos", "{bad")).status).toBe(400);
    const noMeio = await newOrder({ pagamento: { meioPagamento: { id: 123 } } });
    expect(noMeio.json.detalhes).toEqual([{ campo: "pagamento.meioPagamento.id", mensagem: "Meio de pagamento não encontrado" }]);
    const { lookups } = t.sb.state();
    const paid = await newOrder({
      intermediador: { id: lookups.intermediadores[0]?.id },
      pagamento: { meioPagamento: { id: lookups.meiosPagamento[1]?.id }, parcelas: [{ dias: 0, data: "2026-07-11", valor: 20 }] },
    });
    expect(paid.status).toBe(201);
    const detail = (await t.api("GET", `/pedidos/${paid.json.id}`)).json;
    expect(detail.intermediador).toMatchObject({ nome: "Mercado Livre", cnpj: "03.007.331/0001-41" });
    expect(detail.pagamento).toMatchObject({ meioPagamento: { nome: "Pix" }, parcelas: [{ data: "2026-07-11 00:00:00", valor: 20 }] });
    const wrongForma = await newOrder({ pagamento: { parcelas: [{ valor: 20, formaPagamento: { id: lookups.formasPagamento[1]?.id } }] } });
    expect(wrongForma.json.detalhes[0].mensagem).toBe("Forma de recebimento da parcela diferente da forma de recebimento do pedido");
  });

  it("posts stock exactly once: lancar twice → 400 'Estoque já lançado.', estornar returns it, cancel keeps it out", async () => {
    const before = (await saldo()).saldo;
    const { id } = (await newOrder()).json;
    expect((await saldo()).reservado).toBe(2);
    expect((await t.api("POST", `/pedidos/${id}/lancar-estoque`)).status).toBe(204);
    const again = await t.api("POST", `/pedidos/${id}/lancar-estoque`);
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ mensagem: "Estoque já lançado." });
    expect(await saldo()).toMatchObject({ saldo: before - 2, reservado: 0 });
    expect((await t.api("POST", `/pedidos/${id}/estornar-estoque`)).status).toBe(204);
    expect((await t.api("POST", `/pedidos/${id}/estornar-estoque`)).status).toBe(204);
    expect((await saldo()).saldo).toBe(before);
    await t.api("POST", `/pedidos/${id}/lancar-estoque`);
    expect((await t.api("PUT", `/pedidos/${id}/situacao`, { situacao: 2 })).status).toBe(204);
    expect((await saldo()).saldo).toBe(before - 2);
    const moves = (await t.control("GET", `/movements?idProduto=${product.id}`)).json;
    expect(moves.filter((m: { origem: string }) => m.origem === "pedido").map((m: { tipo: string }) => m.tipo)).toEqual(["S", "E", "S"]);
  });

  it("blocks item replacement once stock is posted", async () => {
    const { id } = (await newOrder()).json;
    expect((await t.api("PUT", `/pedidos/${id}/itens`, { itens: [{ produto: { id: product.id }, quantidade: 1, valorUnitario: 9 }] })).status).toBe(204);
    await t.api("POST", `/pedidos/${id}/lancar-estoque`);
    const blocked = await t.api("PUT", `/pedidos/${id}/itens`, { itens: [{ produto: { id: product.id }, quantidade: 3, valorUnitario: 9 }] });
    expect(blocked.status).toBe(400);
    expect(blocked.json.detalhes).toEqual([{ campo: "pedido.motivosBloqueio[0]", mensagem: "estoque lançado" }]);
  });

  it("applies B/E/S stock movements literally and does not de-duplicate them", async () => {
    const post = (body: unknown) => t.api("POST", `/estoque/${product.id}`, body);
    const e1 = await post({ tipo: "E", quantidade: 5, precoUnitario: 2 });
    const e2 = await post({ tipo: "E", quantidade: 5, precoUnitario: 2 });
    expect(e1.json.idLancamento).not.toBe(e2.json.idLancamento);
    expect((await saldo()).saldo).toBe(product.saldo + 10);
    await post({ tipo: "S", quantidade: 3 });
    expect((await saldo()).saldo).toBe(product.saldo + 7);
    await post({ tipo: "B", quantidade: 10 });
    expect((await saldo()).saldo).toBe(10);
    expect((await post({ tipo: "X", quantidade: 1 })).status).toBe(400);
    expect((await post({ tipo: "E", quantidade: 1, deposito: { id: 1 } })).json.detalhes[0].campo).toBe("deposito.id");
    await t.control("PUT", "/account", { disponivelSempreZero: true });
    expect(await saldo()).toMatchObject({ saldo: 10, disponivel: 0 });
  });

  it("lists orders with string valor, filters by markers (repeated param), situacao and dates; marcadores[] crashes", async () => {
    const a = (await newOrder()).json.id;
    const b = (await newOrder()).json.id;
    expect((await t.api("POST", `/pedidos/${a}/marcadores`, [{ descricao: "ml-123" }, { descricao: "site" }])).status).toBe(204);
    expect((await t.api("GET", `/pedidos/${a}/marcadores`)).json).toEqual([{ descricao: "ml-123" }, { descricao: "site" }]);
    await t.api("PUT", `/pedidos/${b}/situacao`, { situacao: 3 });
    const list = await t.api("GET", "/pedidos?marcadores=ml-123");
    expect(list.json.itens.map((o: { id: number }) => o.id)).toEqual([a]);
    expect(list.json.itens[0].valor).toBe("20");
    expect((await t.api("GET", "/pedidos?situacao=3")).json.itens.map((o: { id: number }) => o.id)).toEqual([b]);
    expect((await t.api("GET", "/pedidos?orderBy=desc")).json.itens[0].id).toBe(b);
    expect((await t.api("GET", "/pedidos?marcadores[]=ml-123")).status).toBe(500);
    expect((await t.api("DELETE", `/pedidos/${a}/marcadores`)).status).toBe(204);
    expect((await t.api("GET", `/pedidos/${a}/marcadores`)).json).toEqual([]);
    expect((await t.api("PUT", `/pedidos/${a}/situacao`, { situacao: 42 })).status).toBe(400);
  });

  it("merges PUT /pedidos/{id} and records tracking via /despacho", async () => {
    const { id } = (await newOrder({ observacoes: "original" })).json;
    expect((await t.api("PUT", `/pedidos/${id}`, { observacoesInternas: "interna" })).status).toBe(204);
    await t.api("PUT", `/pedidos/${id}/despacho`, { codigoRastreamento: "BR1", urlRastreamento: "https://r/BR1" });
    const order = (await t.api("GET", `/pedidos/${id}`)).json;
    expect(order).toMatchObject({ observacoes: "original", observacoesInternas: "interna", transportador: { codigoRastreamento: "BR1" } });
  });

  it("generates, emits and serves an invoice; the order becomes Faturada", async () => {
    const { id } = (await newOrder()).json;
    const nota = await t.api("POST", `/pedidos/${id}/gerar-nota-fiscal`);
    expect(nota.status).toBe(200);
    expect(nota.json).toEqual({ id: expect.any(Number), numero: 1, serie: 1 });
    expect((await t.api("POST", `/pedidos/${id}/gerar-nota-fiscal`)).status).toBe(400);
    expect((await t.api("GET", `/pedidos/${id}`)).json).toMatchObject({ situacao: 1, idNotaFiscal: nota.json.id });
    expect((await t.api("GET", `/notas/${nota.json.id}/xml`)).status).toBe(400);
    const emitted = await t.api("POST", `/notas/${nota.json.id}/emitir`, { enviarEmail: false });
    expect(emitted.json).toMatchObject({ id: nota.json.id, situacao: 6 });
    expect(emitted.json.chaveAcesso).toMatch(/^\d{44}$/);
    expect((await t.api("GET", `/notas/${nota.json.id}/link`)).json.link).toContain("/_sandbox/danfe/");
    expect((await t.api("GET", `/notas/${nota.json.id}/xml`)).json.xmlNfe).toContain(emitted.json.chaveAcesso);
    const listed = (await t.api("GET", "/notas?situacao=6")).json;
    expect(listed.itens[0]).toMatchObject({ id: nota.json.id, situacao: "6", tipo: "S" });
    expect((await t.api("POST", `/notas/${nota.json.id}/lancar-estoque`)).status).toBe(204);
    expect((await t.api("POST", `/pedidos/${id}/lancar-estoque`)).json.mensagem).toBe("Estoque já lançado.");
  });

  it("rejects emission when a SEFAZ rejection fault is armed", async () => {
    const { id } = (await newOrder()).json;
    const nota = (await t.api("POST", `/pedidos/${id}/gerar-nota-fiscal`, { modelo: 55 })).json;
    await t.control("POST", "/faults", { rule: { match: { method: "POST", path: "/public-api/v3/notas/*/emitir" }, extra: { sefazRejeicao: "Rejeição 539: Duplicidade de NF-e" }, times: 1 } });
    const rejected = await t.api("POST", `/notas/${nota.id}/emitir`, { enviarEmail: false });
    expect(rejected.status).toBe(400);
    expect(rejected.json.detalhes[0].mensagem).toContain("Rejeição 539");
    expect((await t.api("GET", `/notas/${nota.id}`)).json.situacao).toBe("5");
    expect((await t.api("POST", `/notas/${nota.id}/emitir`, { enviarEmail: false })).json.situacao).toBe(6);
  });

  it("groups orders for shipping and serves labels", async () => {
    const correios = t.sb.state().lookups.formasEnvio[1]?.id;
    const a = (await newOrder({ transportador: { formaEnvio: { id: correios } } })).json.id;
    const other = (await newOrder()).json.id;
    const group = await t.api("POST", "/expedicao", { idsPedidos: [a] });
    expect(group.status).toBe(200);
    const mixed = await t.api("POST", `/expedicao/${group.json.id}/origens`, { idsPedidos: [other] });
    expect(mixed.status).toBe(400);
    const detail = (await t.api("GET", `/expedicao/${group.json.id}`)).json;
    expect(detail.expedicoes[0].venda).toMatchObject({ id: a });
    const labels = await t.api("GET", `/expedicao/${group.json.id}/etiquetas`);
    const pdf = await fetch(labels.json.urls[0]);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect((await t.api("POST", `/expedicao/${group.json.id}/concluir`)).status).toBe(200);
    expect((await t.api("GET", `/pedidos/${a}`)).json.situacao).toBe(7);
  });
});
