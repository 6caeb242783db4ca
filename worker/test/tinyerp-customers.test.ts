import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { tinyBuyerContacts } from "#db/schema";
import { problemFields, registerUser } from "./support/api";
import { api } from "./support/tiny";
import { mlOrder, push, randomBuyerId, randomCpf, seller, stranger, tinyApi, type Seller } from "./support/tiny-pushes";

interface CustomerDto {
  id: number;
  name: string | null;
  code: string | null;
  cpfCnpj: string | null;
  personType: string | null;
  mlBuyerId: number | null;
}

interface MlCustomerDto {
  buyer: { id: number; nickname: string | null; firstName: string | null; lastName: string | null; docNumber: string | null; orders: number; lastMlOrderId: number };
  accountId: string;
  tinyContact: CustomerDto | null;
  matchedBy: "cpfCnpj" | "codigo" | null;
  tinyError: string | null;
}

interface SyncDto {
  result: "created" | "updated" | "unchanged";
  tinyContact: CustomerDto;
  matchedBy: "cpfCnpj" | "codigo";
}

const customers = (s: Seller, query: string) => api<{ accountId: string; items: CustomerDto[]; pagination: { total: number } }>(`/tinyerp/customers${query}`, { token: s.user.accessToken });
const mlCustomer = (s: Seller, buyerId: number) => api<MlCustomerDto>(`/tinyerp/customers/ml/${buyerId}`, { token: s.user.accessToken });
const sync = (s: Seller, buyerId: number) => api<SyncDto>("/tinyerp/customers/sync", { method: "POST", token: s.user.accessToken, json: { buyerId } });

async function tinyContactsWithCode(code: string): Promise<Array<{ id: number; nome: string; cpfCnpj: string }>> {
  return (await tinyApi<{ itens: Array<{ id: number; nome: string; cpfCnpj: string }> }>(`/contatos?codigo=${code}`)).body.itens;
}

describe("GET /tinyerp/customers", () => {
  it("lists Tiny's contacts live and marks the ones that stand for the user's ML buyers", async () => {
    const s = await seller();
    const { mlOrderId, buyerId } = await mlOrder(s, { buyer: { firstName: "Clarice", lastName: `Lispector ${randomBuyerId()}` } });
    await push(s, mlOrderId);
    const [contact] = await tinyContactsWithCode(`ML-${buyerId}`);

    const page = await customers(s, `?name=${encodeURIComponent(contact!.nome)}`);
    expect(page.status).toBe(200);
    expect(page.body.accountId).toBe(s.tinyAccountId);
    expect(page.body.items).toEqual([expect.objectContaining({ id: contact!.id, name: contact!.nome, code: `ML-${buyerId}`, personType: "F", mlBuyerId: buyerId })]);

    // A seller's own contact found by document: no ML buyer behind it.
    const cpf = randomCpf();
    await tinyApi("/contatos", { json: { nome: "Cliente do balcão", cpfCnpj: cpf, tipoPessoa: "F" } });
    const byDoc = await customers(s, `?cpfCnpj=${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`);
    expect(byDoc.body.items).toEqual([expect.objectContaining({ cpfCnpj: cpf, code: null, mlBuyerId: null })]);

    // The same Tiny company seen by another AutoEcom user: the contact is there, the buyer is not theirs.
    const other = await stranger();
    const theirs = await api<{ items: CustomerDto[] }>(`/tinyerp/customers?name=${encodeURIComponent(contact!.nome)}`, { token: other.user.accessToken });
    expect(theirs.body.items).toEqual([expect.objectContaining({ id: contact!.id, mlBuyerId: null })]);
  });

  it("authentication, field-level validation and tenant isolation", async () => {
    const s = await seller();
    expect((await api("/tinyerp/customers")).status).toBe(401);
    const bad = await customers(s, "?cpfCnpj=123&limit=500&offset=-1");
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).sort()).toEqual(["query.cpfCnpj", "query.limit", "query.offset"]);
    const blankName = await customers(s, "?name=%20%20");
    expect(problemFields(blankName.body)).toEqual(["query.name"]);
    const other = await stranger();
    expect((await api(`/tinyerp/customers?accountId=${s.tinyAccountId}`, { token: other.user.accessToken })).status).toBe(404);
    expect((await api("/tinyerp/customers", { token: (await registerUser()).accessToken })).status).toBe(404);
  });
});

describe("GET /tinyerp/customers/ml/{buyerId}", () => {
  it("the buyer as the user's orders know it, and its contact found by code", async () => {
    const s = await seller();
    const first = await mlOrder(s, { buyer: { nickname: "OLD_NICK" } });
    const second = await mlOrder(s, { buyer: { id: first.buyerId, nickname: "NEW_NICK" } });
    await push(s, second.mlOrderId);

    const view = await mlCustomer(s, first.buyerId);
    expect(view.status).toBe(200);
    expect(view.body.buyer).toMatchObject({ id: first.buyerId, nickname: "NEW_NICK", orders: 2, docNumber: null });
    expect(view.body.matchedBy).toBe("codigo");
    expect(view.body.tinyContact).toMatchObject({ code: `ML-${first.buyerId}`, mlBuyerId: first.buyerId });
    expect(view.body.tinyError).toBeNull();
  });

  it("by CPF when ML's billing info gave one, even for a contact the seller made", async () => {
    const s = await seller();
    const cpf = randomCpf();
    const created = await tinyApi<{ id: number }>("/contatos", { json: { nome: "Registered by the seller", cpfCnpj: cpf, tipoPessoa: "F" } });
    const { buyerId } = await mlOrder(s, { buyer: { docType: "CPF", docNumber: cpf } });
    const view = await mlCustomer(s, buyerId);
    expect(view.body).toMatchObject({ matchedBy: "cpfCnpj", tinyContact: { id: created.body.id, cpfCnpj: cpf }, buyer: { docNumber: cpf } });
  });

  it("a buyer without a contact yet reads with tinyContact null; unknown and other users' buyers are 404", async () => {
    const s = await seller();
    const { buyerId } = await mlOrder(s);
    const view = await mlCustomer(s, buyerId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ tinyContact: null, matchedBy: null });

    expect((await mlCustomer(s, randomBuyerId())).status).toBe(404);
    const other = await stranger();
    expect((await api(`/tinyerp/customers/ml/${buyerId}`, { token: other.user.accessToken })).status).toBe(404);
    expect((await api(`/tinyerp/customers/ml/${buyerId}?accountId=${other.tinyAccountId}`, { token: s.user.accessToken })).status).toBe(404);
    expect((await api(`/tinyerp/customers/ml/${buyerId}`)).status).toBe(401);
    // Each part of the request is checked on its own: the first invalid one answers.
    const badId = await api("/tinyerp/customers/ml/abc", { token: s.user.accessToken });
    expect(badId.status).toBe(400);
    expect(problemFields(badId.body)).toEqual(["params.buyerId"]);
    const badAccount = await api(`/tinyerp/customers/ml/${buyerId}?accountId=x`, { token: s.user.accessToken });
    expect(badAccount.status).toBe(400);
    expect(problemFields(badAccount.body)).toEqual(["query.accountId"]);
  });
});

describe.sequential("POST /tinyerp/customers/sync", () => {
  it("creates the contact, then finds it and writes nothing; a new name reaches our contact", async () => {
    const s = await seller();
    const cpf = randomCpf();
    const { buyerId } = await mlOrder(s, { buyer: { firstName: "Rubem", lastName: `Fonseca ${randomBuyerId()}`, docType: "CPF", docNumber: cpf } });
    const created = await sync(s, buyerId);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ result: "created", matchedBy: "cpfCnpj", tinyContact: { code: `ML-${buyerId}`, cpfCnpj: cpf, personType: "F", mlBuyerId: buyerId } });

    const again = await sync(s, buyerId);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ result: "unchanged", tinyContact: { id: created.body.tinyContact.id } });

    await mlOrder(s, { buyer: { id: buyerId, firstName: "Rubem", lastName: "Fonseca Filho", docType: "CPF", docNumber: cpf } });
    const renamed = await sync(s, buyerId);
    expect(renamed.body).toMatchObject({ result: "updated", tinyContact: { id: created.body.tinyContact.id, name: "Rubem Fonseca Filho" } });
    expect(await tinyContactsWithCode(`ML-${buyerId}`)).toHaveLength(1);
  });

  it("a contact the seller made keeps its name; only its blanks are filled", async () => {
    const s = await seller();
    const cpf = randomCpf();
    const made = await tinyApi<{ id: number }>("/contatos", { json: { nome: "Nome que o vendedor escolheu", cpfCnpj: cpf, tipoPessoa: "F" } });
    const { buyerId } = await mlOrder(s, { buyer: { docType: "CPF", docNumber: cpf } });
    const synced = await sync(s, buyerId);
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ result: "updated", matchedBy: "cpfCnpj", tinyContact: { id: made.body.id, name: "Nome que o vendedor escolheu", code: `ML-${buyerId}` } });
  });

  it("never overwrites a document: our contact holding another CPF is a 409", async () => {
    const s = await seller();
    const { buyerId } = await mlOrder(s);
    await sync(s, buyerId);
    await mlOrder(s, { buyer: { id: buyerId, docType: "CPF", docNumber: randomCpf() } });
    const [contact] = await tinyContactsWithCode(`ML-${buyerId}`);
    await tinyApi(`/contatos/${contact!.id}`, { method: "PUT", json: { cpfCnpj: randomCpf() } });
    const refused = await sync(s, buyerId);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain("another CPF/CNPJ");
  });

  it("concurrent syncs of one buyer create one contact", async () => {
    const s = await seller();
    const { buyerId } = await mlOrder(s);
    const results = await Promise.all(Array.from({ length: 5 }, () => sync(s, buyerId)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((x) => x === 201)).toHaveLength(1);
    expect(statuses.every((x) => x === 201 || x === 200 || x === 409)).toBe(true);
    expect(await tinyContactsWithCode(`ML-${buyerId}`)).toHaveLength(1);
  });

  it("shares the order push's claim on the buyer: a push creating the contact makes the sync wait, and the sync's contact is the one the next push uses", async () => {
    const s = await seller();
    const { buyerId } = await mlOrder(s);
    // An order push of this buyer holds the claim while it creates the contact.
    await s.services.db.insert(tinyBuyerContacts).values({ tinyAccountId: s.tinyAccountId, contactKey: `code:ML-${buyerId}`, claimToken: uuidv7(), claimedUntil: new Date(Date.now() + 60_000) });
    const waiting = await sync(s, buyerId);
    expect(waiting.status).toBe(409);
    expect(await tinyContactsWithCode(`ML-${buyerId}`)).toHaveLength(0);

    await s.services.db
      .update(tinyBuyerContacts)
      .set({ claimToken: null, claimedUntil: null })
      .where(eq(tinyBuyerContacts.contactKey, `code:ML-${buyerId}`));
    const created = await sync(s, buyerId);
    expect(created.status).toBe(201);
    const [row] = await s.services.db
      .select()
      .from(tinyBuyerContacts)
      .where(and(eq(tinyBuyerContacts.tinyAccountId, s.tinyAccountId), eq(tinyBuyerContacts.contactKey, `code:ML-${buyerId}`)));
    expect(row).toMatchObject({ tinyContactId: created.body.tinyContact.id, claimToken: null });
    const pushed = await push(s, (await mlOrder(s, { buyer: { id: buyerId } })).mlOrderId);
    expect(pushed.tinyContactId).toBe(created.body.tinyContact.id);
    expect(await tinyContactsWithCode(`ML-${buyerId}`)).toHaveLength(1);
  });

  it("authentication, validation and tenant isolation", async () => {
    const s = await seller();
    const { buyerId } = await mlOrder(s);
    expect((await api("/tinyerp/customers/sync", { method: "POST", json: { buyerId } })).status).toBe(401);
    const bad = await api("/tinyerp/customers/sync", { method: "POST", token: s.user.accessToken, json: { buyerId: "x", accountId: "y", extra: 1 } });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body)).toEqual(expect.arrayContaining(["body.buyerId", "body.accountId"]));
    const other = await stranger();
    expect((await api("/tinyerp/customers/sync", { method: "POST", token: other.user.accessToken, json: { buyerId } })).status).toBe(404);
    expect((await api("/tinyerp/customers/sync", { method: "POST", token: s.user.accessToken, json: { buyerId, accountId: other.tinyAccountId } })).status).toBe(404);
    expect(await tinyContactsWithCode(`ML-${buyerId}`)).toHaveLength(0);
  });
});
