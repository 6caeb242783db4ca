import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TinyAccountClient } from "#integrations/tiny";
import { tinyContactsApi, tinyContactsSpecModels } from "#integrations/tiny/contacts-api";
import { tinyFinanceApi, tinyFinanceSpecModels, type TinyReceivableSituacao } from "#integrations/tiny/finance-api";
import { tinyShippingApi, tinyShippingSpecModels } from "#integrations/tiny/shipping-api";
import { createNodeDb } from "#db/client-node";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { classify } from "#dev/sandbox/tiny/contract/known-deviations";
import { startPrismProxy, type PrismProxy } from "#dev/sandbox/tiny/contract/prism";
import { createViolationRecorder } from "#dev/sandbox/tiny/contract/recorder";
import { undeclaredFields } from "#dev/sandbox/tiny/contract/spec-models";
import { createTestResources, type TestResources } from "./support/resources";
import { seedUserWithTinyAccount } from "./support/tiny";
import { tinyServicesThroughPrism } from "./support/tiny-prism";

// The shipping, contacts and finance helpers of our Tiny client (integrations/tiny/{shipping,contacts,
// finance}-api.ts) under Tiny's published spec: every request goes through Prism's validating
// proxy, and any violation outside dev/sandbox/tiny/contract/known-deviations.ts fails the file.

let resources: TestResources;
let sandbox: TinySandbox;
let prism: PrismProxy;
let database: ReturnType<typeof createNodeDb>;
let client: TinyAccountClient;
const recorder = createViolationRecorder(() => prism.url);

/** Fixtures made the way the seller's ERP would make them: straight at the sandbox, not through the proxy. */
async function direct<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = (await sandbox.issueTokens()).access_token;
  const response = await fetch(`${sandbox.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? null : await response.json()) as T;
}

/** Wraps a helper set so the test can tell that every helper was exercised (a new one without a call here fails). */
function tracked<T extends object>(all: T): { api: T; unused: () => string[] } {
  const used = new Set<string>();
  const api = new Proxy(all, {
    get: (target, name) => {
      if (typeof name === "string") used.add(name);
      return Reflect.get(target, name) as unknown;
    },
  });
  return { api, unused: () => Object.keys(all).filter((name) => !used.has(name)) };
}

beforeAll(async () => {
  resources = await createTestResources();
  database = createNodeDb(resources.databaseUrl, { max: 4 });
  sandbox = await startTinySandbox({ port: 0, seed: 41, products: 10, quotas: { readPerMinute: 10_000, writePerMinute: 10_000, burstPerSecond: null } });
  prism = await startPrismProxy(sandbox.apiUrl);
  const tiny = await tinyServicesThroughPrism({ db: database.db, sandbox, prismUrl: prism.url, fetch: recorder.fetch, keyId: "cm1" });
  const { tinyAccountId } = await seedUserWithTinyAccount(database.db, tiny, sandbox, "contract-more");
  client = tiny.client.forAccount(tinyAccountId);
}, 120_000);

afterAll(async () => {
  await prism?.stop();
  await sandbox?.close();
  await database?.close();
  await resources?.cleanup();
});

/** A sale as the order push leaves it: a contact, an order of it, its invoice; its id and the contact's. */
async function sale(cpf: string) {
  const contact = await direct<{ id: number }>("POST", "/contatos", { nome: `Cliente Contrato ${cpf}`, tipoPessoa: "F", cpfCnpj: cpf });
  const product = [...sandbox.state().products.values()].find((p) => p.tipo === "S")!;
  const envio = sandbox.state().lookups.formasEnvio.find((f) => f.situacao === 1)!;
  const order = await direct<{ id: number }>("POST", "/pedidos", {
    idContato: contact.id,
    numeroOrdemCompra: `CT-${cpf}`,
    transportador: { formaEnvio: { id: envio.id } },
    itens: [{ produto: { id: product.id }, quantidade: 1, valorUnitario: 30 }],
  });
  return { contactId: contact.id, orderId: order.id, formaEnvioId: envio.id };
}

describe.sequential("shipping, contacts and finance helpers against Tiny's published v3 spec (Prism validating proxy)", () => {
  it("contacts: every filter we send, create and update", async () => {
    const before = recorder.violations.length;
    const { api, unused } = tracked(tinyContactsApi(client));
    const cpf = "52998224725";
    const id = await api.create({ nome: "Contato Contrato", codigo: "ML-900000001", tipoPessoa: "F", cpfCnpj: cpf });
    expect((await api.list({ cpfCnpj: cpf, limit: 10 })).itens.map((c) => c.id)).toEqual([id]);
    expect((await api.list({ codigo: "ML-900000001", limit: 10, offset: 0 })).itens.map((c) => c.id)).toEqual([id]);
    expect((await api.list({ nome: "Contato Contrato", situacao: "B" })).itens.map((c) => c.id)).toContain(id);
    await api.update(id, { nome: "Contato Contrato Renomeado" });
    await api.update(id, { codigo: "ML-900000002", cpfCnpj: "11144477735", tipoPessoa: "F" });
    const [after] = (await api.list({ codigo: "ML-900000002" })).itens;
    expect(after).toMatchObject({ id, nome: "Contato Contrato Renomeado", cpfCnpj: "11144477735", endereco: expect.any(Object) });
    expect(unused()).toEqual([]);
    expect(recorder.unexplainedSince(before)).toBe("");
  });

  it("shipping: groups by every filter, a group's contents, a shipment's labels, the order's shipping fields, and a 404", async () => {
    const before = recorder.violations.length;
    const { api, unused } = tracked(tinyShippingApi(client));
    const { orderId, formaEnvioId } = await sale("39053344705");
    const group = await direct<{ id: number }>("POST", "/expedicao", { idsPedidos: [orderId] });

    const order = await api.getOrder(orderId);
    expect(order).toMatchObject({ id: orderId, situacao: 0, transportador: { formaEnvio: { id: formaEnvioId } } });
    const day = order.data!;
    const page = await api.listGroups({ idFormaEnvio: formaEnvioId, dataInicial: day, dataFinal: "2099-12-31", orderBy: "desc", limit: 10, offset: 0 });
    expect(page.itens.map((g) => g.id)).toContain(group.id);
    expect((await api.listGroups({})).paginacao.total).toBeGreaterThanOrEqual(1);
    const detail = await api.getGroup(group.id);
    const shipment = detail.expedicoes.find((s) => s.venda?.id === orderId)!;
    expect(shipment).toBeTruthy();
    expect(await api.shipmentLabels(group.id, shipment.id)).toHaveLength(1);
    await expect(api.getGroup(999_999_999)).rejects.toMatchObject({ code: "not_found", tinyStatus: 404 });
    expect(unused()).toEqual([]);
    expect(recorder.unexplainedSince(before)).toBe("");
  });

  it("finance: receivables by order, by invoice and by every other filter we send; detail and a 404", async () => {
    const before = recorder.violations.length;
    const { api, unused } = tracked(tinyFinanceApi(client));
    const { orderId, contactId } = await sale("86288366757");
    await direct("POST", `/pedidos/${orderId}/lancar-contas`);
    const [byOrder] = (await api.listReceivables({ idVenda: orderId, limit: 20 })).itens;
    expect(byOrder).toMatchObject({ situacao: "aberto", valor: 30, cliente: { id: contactId } });
    const detail = await api.getReceivable(byOrder!.id);
    expect(detail).toMatchObject({ id: byOrder!.id, saldo: 30, valorPago: 0, formaRecebimento: { id: expect.any(Number) } });

    const other = await sale("71428793860");
    const invoice = await direct<{ id: number }>("POST", `/pedidos/${other.orderId}/gerar-nota-fiscal`);
    await direct("POST", `/notas/${invoice.id}/lancar-contas`);
    expect((await api.listReceivables({ idNota: invoice.id })).itens.map((r) => r.cliente?.id)).toEqual([other.contactId]);

    const day = detail.data!;
    for (const situacao of ["aberto", "pago", "parcial", "cancelada", "prevista"] satisfies TinyReceivableSituacao[]) {
      await api.listReceivables({ situacao, dataInicialEmissao: day, dataFinalEmissao: day, limit: 5, offset: 0 });
    }
    const filtered = await api.listReceivables({ dataInicialVencimento: day, dataFinalVencimento: day, numeroDocumento: byOrder!.numeroDocumento!, nomeCliente: "Cliente Contrato" });
    expect(filtered.itens.map((r) => r.id)).toEqual([byOrder!.id]);
    await expect(api.getReceivable(1)).rejects.toMatchObject({ code: "not_found", tinyStatus: 404 });
    expect(unused()).toEqual([]);
    expect(recorder.unexplainedSince(before)).toBe("");
  });

  it("flags a receivables request that breaks the spec (the check is live for these routes)", async () => {
    const before = recorder.violations.length;
    const refused = await tinyFinanceApi(client)
      .listReceivables({ situacao: "quitada" as TinyReceivableSituacao, idVenda: "abc" as unknown as number })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "bad_request", tinyStatus: 400 });
    // Prism reports query parameter names lower-cased.
    const flagged = classify(recorder.violations.slice(before)).unexplained.map((v) => v.location.join(".").toLowerCase());
    expect(flagged).toEqual(expect.arrayContaining(["request.query.situacao", "request.query.idvenda"]));
  });

  it("our response models name only fields the spec declares", () => {
    expect(undeclaredFields({ ...tinyContactsSpecModels, ...tinyShippingSpecModels, ...tinyFinanceSpecModels })).toEqual([]);
  });
});
