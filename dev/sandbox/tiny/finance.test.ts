import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fromSnapshot, toSnapshot } from "./state";
import { firstContactId, firstStockedProduct, startTestSandbox, type TestSandbox } from "./test-helpers";

// Receivables (contas a receber): what posting an order or an invoice creates, how the list
// filters, the payment (baixa), and the reversal. Finance sync reads these as Tiny would answer.

describe("Tiny receivables", () => {
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

  const newOrder = async (extra: Record<string, unknown> = {}): Promise<number> => {
    const res = await t.api("POST", "/pedidos", {
      idContato: contactId,
      data: "2026-07-10",
      numeroOrdemCompra: `FIN-${++seq}`,
      valorFrete: 5,
      itens: [{ produto: { id: product.id }, quantidade: 2, valorUnitario: 10 }],
      ...extra,
    });
    expect(res.status).toBe(201);
    return res.json.id as number;
  };

  it("lancar-contas posts one receivable for the order total; a second posting is refused; both shapes follow the spec", async () => {
    const orderId = await newOrder();
    const numero = (await t.api("GET", `/pedidos/${orderId}`)).json.numeroPedido as number;
    expect((await t.api("POST", `/pedidos/${orderId}/lancar-contas`)).status).toBe(204);
    const again = await t.api("POST", `/pedidos/${orderId}/lancar-contas`);
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ mensagem: "Contas já lançadas." });

    const page = await t.api("GET", `/contas-receber?idVenda=${orderId}`);
    expect(page.status).toBe(200);
    expect(page.json.paginacao).toEqual({ limit: 100, offset: 0, total: 1 });
    // Blanks come in any form the spec allows (variants.ts): "", null or left out.
    const { numeroBanco, serieDocumento, ...item } = page.json.itens[0];
    for (const blank of [numeroBanco, serieDocumento]) expect(["", null, undefined]).toContain(blank);
    expect(item).toEqual({
      id: expect.any(Number),
      situacao: "aberto",
      data: "2026-07-10",
      dataVencimento: "2026-07-10",
      historico: `Ref. ao pedido de venda nº ${numero}`,
      valor: 25,
      numeroDocumento: String(numero),
      cliente: expect.objectContaining({ id: contactId }),
      quantidadeParcelasAntecipadas: 0,
    });
    const detail = await t.api("GET", `/contas-receber/${item.id}`);
    expect(detail.json).toMatchObject({ id: item.id, situacao: "aberto", ocorrencia: "U", quantidadeParcelas: 1, valor: 25, saldo: 25, valorPago: 0, formaRecebimento: { id: 1, nome: "Múltiplas" } });
    expect(["", null, undefined]).toContain(detail.json.dataLiquidacao);
    expect((await t.api("GET", "/contas-receber/1")).status).toBe(404);
  });

  it("one receivable per parcel, numbered <order>/<n>, due on the parcel's date or after its days", async () => {
    const orderId = await newOrder({
      pagamento: {
        parcelas: [
          { dias: 30, valor: 10 },
          { data: "2026-09-10", valor: 15 },
        ],
      },
    });
    await t.api("POST", `/pedidos/${orderId}/lancar-contas`);
    const { itens } = (await t.api("GET", `/contas-receber?idVenda=${orderId}`)).json;
    const numero = (await t.api("GET", `/pedidos/${orderId}`)).json.numeroPedido as number;
    expect(itens.map((r: { numeroDocumento: string; dataVencimento: string; valor: number }) => [r.numeroDocumento, r.dataVencimento, r.valor])).toEqual([
      [`${numero}/1`, "2026-08-09", 10],
      [`${numero}/2`, "2026-09-10", 15],
    ]);
    const byDocument = await t.api("GET", `/contas-receber?numeroDocumento=${numero}`);
    expect(byDocument.json.paginacao.total).toBe(2);
  });

  it("baixar pays in part or in full (DD/MM/YYYY date); estornar-contas cancels what is unpaid and allows a new posting", async () => {
    const orderId = await newOrder();
    await t.api("POST", `/pedidos/${orderId}/lancar-contas`);
    const id = (await t.api("GET", `/contas-receber?idVenda=${orderId}`)).json.itens[0].id as number;
    const badDate = await t.api("POST", `/contas-receber/${id}/baixar`, { data: "31/02/2026", valorPago: 5 });
    expect(badDate.status).toBe(400);
    expect(badDate.json.detalhes).toEqual([expect.objectContaining({ campo: "data" })]);
    expect((await t.api("POST", `/contas-receber/${id}/baixar`, { data: "11/07/2026", valorPago: 5 })).status).toBe(204);
    expect((await t.api("GET", `/contas-receber/${id}`)).json).toMatchObject({ situacao: "parcial", valorPago: 5, saldo: 20, dataLiquidacao: "2026-07-11" });
    expect((await t.api("GET", "/contas-receber?situacao=parcial")).json.paginacao.total).toBe(1);

    await t.api("POST", `/pedidos/${orderId}/estornar-contas`);
    expect((await t.api("GET", `/contas-receber/${id}`)).json.situacao).toBe("parcial");
    expect((await t.api("POST", `/pedidos/${orderId}/lancar-contas`)).status).toBe(400);

    const other = await newOrder();
    await t.api("POST", `/pedidos/${other}/lancar-contas`);
    const otherId = (await t.api("GET", `/contas-receber?idVenda=${other}`)).json.itens[0].id as number;
    expect((await t.api("POST", `/pedidos/${other}/estornar-contas`)).status).toBe(204);
    expect((await t.api("GET", `/contas-receber/${otherId}`)).json.situacao).toBe("cancelada");
    expect((await t.api("POST", `/pedidos/${other}/lancar-contas`)).status).toBe(204);
    expect((await t.api("GET", `/contas-receber?idVenda=${other}&situacao=aberto`)).json.paginacao.total).toBe(1);
  });

  it("an invoice posts receivables that name the invoice, never twice for one sale", async () => {
    const orderId = await newOrder();
    const nota = (await t.api("POST", `/pedidos/${orderId}/gerar-nota-fiscal`)).json.id as number;
    expect((await t.api("POST", `/notas/${nota}/lancar-contas`)).status).toBe(204);
    expect((await t.api("POST", `/pedidos/${orderId}/lancar-contas`)).status).toBe(400);
    expect((await t.api("GET", `/contas-receber?idVenda=${orderId}`)).json.paginacao.total).toBe(0);
    const byInvoice = (await t.api("GET", `/contas-receber?idNota=${nota}`)).json;
    expect(byInvoice.itens).toEqual([expect.objectContaining({ valor: 25, cliente: expect.objectContaining({ id: contactId }) })]);
  });

  it("receivables survive a snapshot round trip; snapshots from before finance load with none", async () => {
    const orderId = await newOrder();
    await t.api("POST", `/pedidos/${orderId}/lancar-contas`);
    const snapshot = JSON.parse(JSON.stringify(toSnapshot(t.sb.state())));
    expect([...fromSnapshot(snapshot).receivables.values()].map((r) => r.idVenda)).toEqual([orderId]);
    delete snapshot.receivables;
    expect(fromSnapshot(snapshot).receivables.size).toBe(0);
  });

  it("refuses a cancelled order, bad filters and bad ids with Tiny's ErrorDTO", async () => {
    const orderId = await newOrder();
    await t.api("PUT", `/pedidos/${orderId}/situacao`, { situacao: 2 });
    expect((await t.api("POST", `/pedidos/${orderId}/lancar-contas`)).status).toBe(400);
    const bad = await t.api("GET", "/contas-receber?situacao=quitada&dataInicialEmissao=2026-13-01");
    expect(bad.status).toBe(400);
    expect(bad.json.detalhes.map((d: { campo: string }) => d.campo)).toEqual(["situacao", "dataInicialEmissao"]);
    expect((await t.api("GET", "/contas-receber/abc")).status).toBe(400);
    expect((await t.api("GET", "/contas-receber?marcadores[]=x")).status).toBe(500);
  });
});
