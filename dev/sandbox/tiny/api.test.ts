import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstContactId, startTestSandbox, type TestSandbox } from "./test-helpers";

// Cross-cutting conventions of the v3 API: offset pagination envelope, ErrorDTO bodies, bare
// arrays where Tiny uses them, São Paulo dates, and the product catalogue endpoints.

describe("Tiny v3 conventions", () => {
  let t: TestSandbox;

  beforeAll(async () => {
    t = await startTestSandbox({ products: 250 });
  });
  afterAll(async () => {
    await t.sb.close();
  });

  it("paginates with {itens, paginacao:{limit, offset, total}}, default limit 100", async () => {
    const first = await t.api("GET", "/produtos");
    expect(first.status).toBe(200);
    expect(first.json.paginacao).toEqual({ limit: 100, offset: 0, total: 250 });
    expect(first.json.itens).toHaveLength(100);
    const last = await t.api("GET", "/produtos?limit=100&offset=200");
    expect(last.json.itens).toHaveLength(50);
    expect(last.json.itens[49].sku).toBe("SKU-250");
    const seen = new Set<number>();
    for (let offset = 0; offset < 250; offset += 60) for (const p of (await t.api("GET", `/produtos?limit=60&offset=${offset}`)).json.itens) seen.add(p.id);
    expect(seen.size).toBe(250);
  });

  it("caps limit at 100 and reports the effective limit", async () => {
    const res = await t.api("GET", "/produtos?limit=500");
    expect(res.json.paginacao.limit).toBe(100);
    expect(res.json.itens).toHaveLength(100);
  });

  it("answers an empty page with 200, not 404", async () => {
    const res = await t.api("GET", "/produtos?codigo=NOPE&limit=1");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ itens: [], paginacao: { limit: 1, offset: 0, total: 0 } });
  });

  it("rejects bad query values with a 400 ErrorDTO naming the field", async () => {
    const res = await t.api("GET", "/produtos?limit=abc");
    expect(res.status).toBe(400);
    expect(res.json.mensagem).toBeTruthy();
    expect(res.json.detalhes[0].campo).toBe("limit");
    expect((await t.api("GET", "/produtos?situacao=X")).json.detalhes[0].campo).toBe("situacao");
  });

  it("finds a product by SKU with ?codigo= and reads list vs detail shapes", async () => {
    const list = await t.api("GET", "/produtos?codigo=SKU-7");
    expect(list.json.itens).toHaveLength(1);
    const item = list.json.itens[0];
    expect(Object.keys(item)).toEqual(expect.arrayContaining(["id", "sku", "descricao", "tipo", "situacao", "dataCriacao", "dataAlteracao", "unidade", "gtin", "precos"]));
    expect(item).not.toHaveProperty("estoque");
    expect(item.dataCriacao).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const detail = await t.api("GET", `/produtos/${item.id}`);
    expect(detail.json.estoque.quantidade).toBeGreaterThanOrEqual(0);
    expect(detail.json.precos).toEqual(item.precos);
  });

  it("creates products (response names the SKU `codigo`), rejects duplicate SKUs, edits and prices", async () => {
    const created = await t.api("POST", "/produtos", { sku: "NEW-1", descricao: "Caneca Nova", tipo: "S", precos: { preco: 30 }, estoque: { inicial: 4 } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ codigo: "NEW-1", descricao: "Caneca Nova", variacoes: [] });
    const dup = await t.api("POST", "/produtos", { sku: "NEW-1", descricao: "Outra", tipo: "S" });
    expect(dup.status).toBe(400);
    expect(dup.json.detalhes[0].campo).toBe("sku");
    const missing = await t.api("POST", "/produtos", { sku: "NEW-2" });
    expect(missing.status).toBe(400);
    expect(missing.json.detalhes.map((d: { campo: string }) => d.campo)).toEqual(expect.arrayContaining(["descricao", "tipo"]));
    const id = created.json.id;
    expect((await t.api("PUT", `/produtos/${id}`, { descricao: "Caneca Nova 300ml", campoDesconhecido: 1 })).status).toBe(204);
    const price = await t.api("PUT", `/produtos/${id}/preco`, { preco: 32.5, precoPromocional: 29.9 });
    expect(price.json).toEqual({ preco: 32.5, precoPromocional: 29.9 });
    const detail = (await t.api("GET", `/produtos/${id}`)).json;
    expect(detail).toMatchObject({ descricao: "Caneca Nova 300ml", precos: { preco: 32.5, precoPromocional: 29.9 }, estoque: { quantidade: 4 } });
    const listed = (await t.api("GET", "/produtos?codigo=NEW-1")).json.itens[0];
    expect(listed.dataAlteracao).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it("handles variations and kits as products of their own", async () => {
    const parent = await t.api("POST", "/produtos", {
      sku: "TEN-1",
      descricao: "Tênis",
      tipo: "V",
      variacoes: [{ sku: "TEN-1-38", estoque: { inicial: 2 }, grade: [{ chave: "Tamanho", valor: "38" }] }],
    });
    expect(parent.json.variacoes).toHaveLength(1);
    const v39 = await t.api("POST", `/produtos/${parent.json.id}/variacoes`, { sku: "TEN-1-39", estoque: { inicial: 3 }, grade: [{ chave: "Tamanho", valor: "39" }] });
    expect(v39.json.codigo).toBe("TEN-1-39");
    const detail = (await t.api("GET", `/produtos/${parent.json.id}`)).json;
    expect(detail.variacoes.map((v: { sku: string }) => v.sku)).toEqual(["TEN-1-38", "TEN-1-39"]);
    const child = (await t.api("GET", `/produtos/${v39.json.id}`)).json;
    expect(child.produtoPai.id).toBe(parent.json.id);
    expect((await t.api("GET", `/estoque/${parent.json.id}`)).json.saldo).toBe(5);
    expect((await t.api("DELETE", `/produtos/${parent.json.id}/variacoes/${v39.json.id}`)).status).toBe(204);
    expect((await t.api("GET", `/produtos/${parent.json.id}`)).json.variacoes).toHaveLength(1);

    const comp = (await t.api("POST", "/produtos", { sku: "KC-1", descricao: "Componente", tipo: "S", estoque: { inicial: 7 } })).json.id;
    const kit = await t.api("POST", "/produtos", { sku: "KIT-1", descricao: "Kit", tipo: "K", kit: [{ produto: { id: comp }, quantidade: 2 }] });
    const kitItems = await t.api("GET", `/produtos/${kit.json.id}/kit`);
    expect(kitItems.json).toEqual([{ produto: { id: comp, sku: "KC-1", descricao: "Componente" }, quantidade: 2 }]);
    expect((await t.api("GET", `/estoque/${kit.json.id}`)).json.saldo).toBe(3);
  });

  it("returns bare arrays for /depositos and marcadores", async () => {
    const deps = await t.api("GET", "/depositos");
    expect(Array.isArray(deps.json)).toBe(true);
    expect(deps.json.find((d: { padrao: boolean }) => d.padrao)).toMatchObject({ descricao: "Geral", tipo: "P" });
  });

  it("answers unknown routes and records with 404 and a mensagem", async () => {
    expect((await t.api("GET", "/notas-fiscais")).status).toBe(404);
    expect((await t.api("GET", "/produtos/1/estoque")).status).toBe(404);
    const missing = await t.api("GET", "/produtos/1");
    expect(missing.status).toBe(404);
    expect(missing.json.mensagem).toBeTruthy();
    expect((await t.api("GET", "/produtos/abc")).status).toBe(400);
  });

  it("stamps dates in São Paulo local time (an order at 01:30 UTC belongs to the previous day)", async () => {
    const state = t.sb.state();
    const [pid] = state.products.keys();
    const utcNow = Date.now();
    const target = Date.UTC(2026, 6, 11, 1, 30, 0);
    t.sb.clock.advance(target - utcNow);
    const created = await t.api("POST", "/pedidos", { idContato: firstContactId(t.sb), itens: [{ produto: { id: pid }, quantidade: 1, valorUnitario: 10 }] });
    expect(created.status).toBe(201);
    const order = (await t.api("GET", `/pedidos/${created.json.id}`)).json;
    expect(order.data).toBe("2026-07-10");
    const contact = await t.api("POST", "/contatos", { nome: "Hora Local", cpfCnpj: "529.982.247-25" });
    expect((await t.api("GET", `/contatos/${contact.json.id}`)).json.dataCriacao).toBe("2026-07-10 22:30:00");
    t.sb.clock.advance(utcNow - target);
  });

  it("searches, updates and nests contacts", async () => {
    const created = await t.api("POST", "/contatos", { nome: "Maria Compradora", tipoPessoa: "F", cpfCnpj: "111.444.777-35", endereco: { municipio: "Campinas", uf: "SP" } });
    expect(created.status).toBe(200);
    const found = await t.api("GET", "/contatos?cpfCnpj=11144477735");
    expect(found.json.itens.map((c: { id: number }) => c.id)).toEqual([created.json.id]);
    expect((await t.api("PUT", `/contatos/${created.json.id}`, { email: "maria@example.com" })).status).toBe(204);
    const detail = (await t.api("GET", `/contatos/${created.json.id}`)).json;
    expect(detail).toMatchObject({ nome: "Maria Compradora", email: "maria@example.com", endereco: { municipio: "Campinas", uf: "SP" } });
    const pessoa = await t.api("POST", `/contatos/${created.json.id}/pessoas`, { nome: "João", setor: "Financeiro" });
    expect((await t.api("GET", `/contatos/${created.json.id}/pessoas`)).json.itens[0]).toMatchObject({ id: pessoa.json.id, nome: "João" });
    expect((await t.api("POST", "/contatos", { nome: "X", cpfCnpj: "123" })).status).toBe(400);
    expect((await t.api("GET", "/contatos?nome=maria")).json.paginacao.total).toBe(1);
  });

  it("serves the registries orders need: payment forms, shipping methods with freight options, intermediaries", async () => {
    const envios = (await t.api("GET", "/formas-envio?situacao=1")).json;
    expect(envios.itens.map((f: { nome: string }) => f.nome)).toEqual(["Mercado Envios", "Correios"]);
    expect(envios.itens[0]).toMatchObject({ tipo: "3", situacao: "1" });
    const correios = (await t.api("GET", `/formas-envio/${envios.itens[1].id}`)).json;
    expect(correios.formasFrete.map((f: { nome: string }) => f.nome)).toEqual(["PAC", "SEDEX"]);
    expect((await t.api("GET", "/formas-pagamento?nome=múltiplas")).json.itens).toEqual([{ id: 1, nome: "Múltiplas", situacao: "1" }]);
    const inter = (await t.api("GET", "/intermediadores?cnpj=03007331000141")).json.itens[0];
    expect(inter).toMatchObject({ nome: "Mercado Livre", cnpj: "03.007.331/0001-41" });
    expect((await t.api("GET", `/intermediadores/${inter.id}`)).json.id).toBe(inter.id);
    expect((await t.api("GET", "/formas-envio/1")).status).toBe(404);
  });

  it("adds X-Request-Id to every API response", async () => {
    const res = await t.api("GET", "/info");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json.cpfCnpj).toMatch(/^\d{2}\.\d{3}\.\d{3}\/\d{4}-\d{2}$/);
  });
});
