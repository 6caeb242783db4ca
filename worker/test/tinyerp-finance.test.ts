import { describe, expect, it } from "vitest";
import { problemFields, registerUser } from "./support/api";
import { api } from "./support/tiny";
import { mlOrder, push, seller, stranger, tinyApi, type Seller } from "./support/tiny-pushes";

interface ReceivableDto {
  id: number;
  status: string | null;
  issueDate: string | null;
  dueDate: string | null;
  amount: number | null;
  documentNumber: string | null;
  customer: { id: number; name: string | null; cpfCnpj: string | null } | null;
  balance?: number | null;
  paid?: number | null;
  paidDate?: string | null;
  paymentForm?: { id: number; name: string | null } | null;
}

interface OrderReceivablesDto {
  pushId: string;
  mlOrderId: number;
  tinyOrderId: number;
  matchedBy: "idVenda" | "idNota" | null;
  items: ReceivableDto[];
}

const orderReceivables = (s: Seller, pushId: string) => api<OrderReceivablesDto>(`/tinyerp/orders/${pushId}/receivables`, { token: s.user.accessToken });

/** Posting may already have happened (the push posts a paid sale's receivables): Tiny's "already posted" is the same outcome. */
async function postReceivables(path: string) {
  const posted = await tinyApi<{ mensagem?: string }>(path, { method: "POST" });
  if (posted.status !== 204 && !(posted.status === 400 && posted.body?.mensagem === "Contas já lançadas.")) throw new Error(`${path}: ${posted.status} ${JSON.stringify(posted.body)}`);
}

describe("GET /tinyerp/orders/{id}/receivables", () => {
  it("none before posting; after lancar-contas the order's receivable with balance, then its payment", async () => {
    const s = await seller();
    // Unpaid: nothing posts receivables for it on its own.
    const pushed = await push(s, (await mlOrder(s, { status: "payment_required" })).mlOrderId);
    const none = await orderReceivables(s, pushed.id);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ pushId: pushed.id, mlOrderId: pushed.mlOrderId, tinyOrderId: pushed.tinyOrderId, matchedBy: null, items: [] });

    await postReceivables(`/pedidos/${pushed.tinyOrderId}/lancar-contas`);
    const order = (await tinyApi<{ numeroPedido: number; valorTotalPedido: number; data: string }>(`/pedidos/${pushed.tinyOrderId}`)).body;
    const posted = await orderReceivables(s, pushed.id);
    expect(posted.status).toBe(200);
    expect(posted.body.matchedBy).toBe("idVenda");
    expect(posted.body.items).toEqual([
      expect.objectContaining({
        status: "aberto",
        issueDate: order.data,
        dueDate: order.data,
        amount: order.valorTotalPedido,
        balance: order.valorTotalPedido,
        paid: 0,
        paidDate: null,
        documentNumber: String(order.numeroPedido),
        customer: expect.objectContaining({ id: pushed.tinyContactId }),
        paymentForm: expect.objectContaining({ id: expect.any(Number) }),
      }),
    ]);

    const id = posted.body.items[0]!.id;
    expect((await tinyApi(`/contas-receber/${id}/baixar`, { method: "POST", json: { valorPago: 20 } })).status).toBe(204);
    const paid = await orderReceivables(s, pushed.id);
    expect(paid.body.items[0]).toMatchObject({ id, status: "parcial", paid: 20, balance: Math.round((order.valorTotalPedido - 20) * 100) / 100 });
    expect(paid.body.items[0]!.paidDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("receivables posted from the order's invoice are found through the invoice", async () => {
    const s = await seller();
    const pushed = await push(s, (await mlOrder(s, { status: "payment_required" })).mlOrderId);
    const invoice = await tinyApi<{ id: number }>(`/pedidos/${pushed.tinyOrderId}/gerar-nota-fiscal`, { method: "POST" });
    expect(invoice.status).toBe(200);
    await postReceivables(`/notas/${invoice.body.id}/lancar-contas`);
    const found = await orderReceivables(s, pushed.id);
    expect(found.status).toBe(200);
    expect(found.body.matchedBy).toBe("idNota");
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]!.customer?.id).toBe(pushed.tinyContactId);
  });

  it("an order that never reached Tiny is a 409, not an empty list", async () => {
    const s = await seller();
    const pushed = await push(s, (await mlOrder(s, { linked: false })).mlOrderId);
    expect(pushed.tinyOrderId).toBeNull();
    const response = await orderReceivables(s, pushed.id);
    expect(response.status).toBe(409);
    expect(JSON.stringify(response.body)).toContain("not in Tiny");
  });

  it("authentication, validation and tenant isolation", async () => {
    const s = await seller();
    const pushed = await push(s, (await mlOrder(s)).mlOrderId);
    expect((await api(`/tinyerp/orders/${pushed.id}/receivables`)).status).toBe(401);
    const bad = await api("/tinyerp/orders/123/receivables", { token: s.user.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body)).toEqual(["params.id"]);
    expect((await api("/tinyerp/orders/0190a0a0-0000-7000-8000-000000000000/receivables", { token: s.user.accessToken })).status).toBe(404);
    const other = await stranger();
    expect((await api(`/tinyerp/orders/${pushed.id}/receivables`, { token: other.user.accessToken })).status).toBe(404);
  });
});

describe("GET /tinyerp/receivables", () => {
  it("lists Tiny's receivables live, by situation and issue date", async () => {
    const s = await seller();
    const pushed = await push(s, (await mlOrder(s)).mlOrderId);
    await postReceivables(`/pedidos/${pushed.tinyOrderId}/lancar-contas`);
    const mine = (await orderReceivables(s, pushed.id)).body.items[0]!;

    const page = await api<{ accountId: string; items: ReceivableDto[]; pagination: { limit: number; offset: number; total: number } }>(
      `/tinyerp/receivables?situacao=aberto&dataInicial=${mine.issueDate}&dataFinal=${mine.issueDate}&limit=100`,
      { token: s.user.accessToken },
    );
    expect(page.status).toBe(200);
    expect(page.body.accountId).toBe(s.tinyAccountId);
    expect(page.body.pagination).toMatchObject({ limit: 100, offset: 0 });
    expect(page.body.items.find((r) => r.id === mine.id)).toEqual({
      id: mine.id,
      status: "aberto",
      issueDate: mine.issueDate,
      dueDate: mine.dueDate,
      amount: mine.amount,
      documentNumber: mine.documentNumber,
      history: expect.any(String),
      customer: mine.customer,
    });
    expect(page.body.items.every((r) => r.status === "aberto" && r.issueDate === mine.issueDate)).toBe(true);

    const paidOnly = await api<{ items: ReceivableDto[] }>("/tinyerp/receivables?situacao=pago&limit=100", { token: s.user.accessToken });
    expect(paidOnly.body.items.some((r) => r.id === mine.id)).toBe(false);
  });

  it("authentication, field-level validation and tenant isolation", async () => {
    const s = await seller();
    expect((await api("/tinyerp/receivables")).status).toBe(401);
    const bad = await api("/tinyerp/receivables?situacao=quitada&dataInicial=2026-02-30&limit=0", { token: s.user.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).sort()).toEqual(["query.dataInicial", "query.limit", "query.situacao"]);
    const reversed = await api("/tinyerp/receivables?dataInicial=2026-07-10&dataFinal=2026-07-01", { token: s.user.accessToken });
    expect(reversed.status).toBe(400);
    expect(problemFields(reversed.body)).toEqual(["query.dataFinal"]);
    const other = await stranger();
    expect((await api(`/tinyerp/receivables?accountId=${s.tinyAccountId}`, { token: other.user.accessToken })).status).toBe(404);
    expect((await api("/tinyerp/receivables", { token: (await registerUser()).accessToken })).status).toBe(404);
  });
});
