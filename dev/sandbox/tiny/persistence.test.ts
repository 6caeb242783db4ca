import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTempDatabase, type TempDatabase } from "../common/test-db";
import { startTinySandbox } from "./index";
import { firstContactId, firstStockedProduct, type Json } from "./test-helpers";

const json = async (res: Promise<Response>): Promise<Json> => (await res).json();

// With a database URL the account is snapshotted to Postgres (JSONB) so the local demo keeps its
// orders, stock and connected OAuth sessions across restarts.

describe("Tiny sandbox persistence", () => {
  let db: TempDatabase;

  beforeAll(async () => {
    db = await createTempDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("restores orders, stock, sequences and tokens after a restart", async () => {
    const first = await startTinySandbox({ port: 0, products: 15, databaseUrl: db.url, quotas: { enabled: false } });
    const tokens = await first.issueTokens();
    const auth = { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json" };
    const product = firstStockedProduct(first);
    await fetch(`${first.apiUrl}/estoque/${product.id}`, { method: "POST", headers: auth, body: JSON.stringify({ tipo: "B", quantidade: 77 }) });
    const created = await json(
      fetch(`${first.apiUrl}/pedidos`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ idContato: firstContactId(first), itens: [{ produto: { id: product.id }, quantidade: 1, valorUnitario: 5 }] }),
      }),
    );
    await fetch(`${first.apiUrl}/pedidos/${created.id}/marcadores`, { method: "POST", headers: auth, body: JSON.stringify([{ descricao: "persistido" }]) });
    await first.close();

    const second = await startTinySandbox({ port: 0, products: 15, databaseUrl: db.url, quotas: { enabled: false } });
    try {
      const order = await json(fetch(`${second.apiUrl}/pedidos/${created.id}`, { headers: auth }));
      expect(order.numeroPedido).toBe(1);
      expect(await json(fetch(`${second.apiUrl}/pedidos/${created.id}/marcadores`, { headers: auth }))).toEqual([{ descricao: "persistido" }]);
      expect((await json(fetch(`${second.apiUrl}/estoque/${product.id}`, { headers: auth }))).saldo).toBe(77);
      const next = await json(
        fetch(`${second.apiUrl}/pedidos`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ idContato: firstContactId(second), itens: [{ produto: { id: product.id }, quantidade: 2, valorUnitario: 5 }] }),
        }),
      );
      expect(next.numeroPedido).toBe("2");
      expect(next.id).toBeGreaterThan(created.id);
    } finally {
      await second.close();
    }
  });
});
