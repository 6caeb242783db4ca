import { describe, expect, it } from "vitest";
import { receivableModel, receivablePageModel } from "./finance-api";
import { contactPageModel } from "./contacts-api";
import { createdOrderModel, generatedInvoiceModel, orderListModel, orderModel } from "./orders-api";
import { kitModel, productListModel, productModel, stockModel } from "./schemas";
import { orderShippingModel, shippingGroupModel } from "./shipping-api";

// Tiny's spec (tiny-v3-openapi.json) declares almost every field nullable and none required; these
// are the bodies it allows that a model once refused. The fields we do require are listed in
// docs/tiny.md ("Fields we require"); every other one may be null, absent, "" or a number in a string.

describe("Tiny product models", () => {
  it("reads a simple product whose parent reference has a null id as having no parent", () => {
    const product = productModel.parse({ id: 357281337, sku: "CAM-01", descricao: "Camiseta", tipo: "S", produtoPai: { id: null, sku: null, descricao: null } });
    expect(product.produtoPai).toBeNull();
    expect(product.id).toBe(357281337);
  });

  it("keeps a real parent reference, also with its id as a string", () => {
    expect(productModel.parse({ id: 2, descricao: "Azul", produtoPai: { id: "1", sku: "CAM", descricao: null } }).produtoPai).toEqual({ id: 1, sku: "CAM", descricao: null });
  });

  it("reads a product with every optional block absent, and with each of them null", () => {
    const bare = productModel.parse({ id: 7 });
    expect(bare).toMatchObject({ id: 7, sku: null, descricao: "", tipo: null, produtoPai: null, precos: null, variacoes: [] });
    const nulls = productModel.parse({ id: 7, sku: null, descricao: null, tipo: null, situacao: null, unidade: null, gtin: null, produtoPai: null, precos: null, variacoes: null });
    expect(nulls).toMatchObject({ id: 7, descricao: "", produtoPai: null, precos: null, variacoes: [] });
  });

  it('reads prices sent as strings or as "" (no value)', () => {
    const product = productModel.parse({ id: 7, precos: { preco: "12.50", precoPromocional: "", precoCusto: null } });
    expect(product.precos).toMatchObject({ preco: 12.5, precoPromocional: null, precoCusto: null, precoCustoMedio: null });
  });

  it("leaves out a variation Tiny does not name (null id), since it can be neither read nor written", () => {
    const product = productModel.parse({
      id: 7,
      tipo: "V",
      variacoes: [
        { id: null, sku: "X-P", grade: null },
        { id: "8", sku: "X-M", grade: [{ chave: "Tamanho", valor: "M" }] },
      ],
    });
    expect(product.variacoes.map((v) => v.id)).toEqual([8]);
  });

  it("refuses a product without its own id: nothing could be linked to it", () => {
    expect(productModel.safeParse({ id: null, descricao: "x" }).success).toBe(false);
    expect(productModel.safeParse({ descricao: "x" }).success).toBe(false);
  });

  it("reads list items with null or absent description, prices and dates", () => {
    const list = productListModel.parse({ itens: [{ id: 1, descricao: null, precos: null }, { id: "2" }], paginacao: { limit: "100", offset: 0, total: 2 } });
    expect(list.itens.map((p) => [p.id, p.descricao])).toEqual([
      [1, ""],
      [2, ""],
    ]);
    expect(list.paginacao.limit).toBe(100);
  });

  it("reads a kit component whose quantity is a string, and refuses one naming no product", () => {
    expect(kitModel.parse([{ produto: { id: 3, sku: null, descricao: null }, quantidade: "2" }])).toEqual([{ produto: { id: 3, sku: null, descricao: null }, quantidade: 2 }]);
    expect(kitModel.safeParse([{ produto: { id: null, sku: null, descricao: null }, quantidade: 1 }]).success).toBe(false);
  });

  it('reads stock with numbers as strings, "" and deposits absent', () => {
    expect(stockModel.parse({ id: 7, saldo: "3", reservado: "", disponivel: null })).toMatchObject({ saldo: 3, reservado: null, disponivel: null, depositos: [] });
    const withDeposits = stockModel.parse({ id: 7, depositos: [{ id: 1, nome: null, desconsiderar: null, saldo: "2.5" }] });
    expect(withDeposits.depositos[0]).toMatchObject({ id: 1, desconsiderar: false, saldo: 2.5, reservado: null });
  });
});

describe("Tiny order models", () => {
  it("reads an order whose number and situação are null (both nullable in the spec)", () => {
    const order = orderModel.parse({ id: 9, numeroPedido: null, situacao: null, idNotaFiscal: null, valorTotalPedido: "", ecommerce: null });
    expect(order).toMatchObject({ id: 9, numeroPedido: null, situacao: null, idNotaFiscal: null, valorTotalPedido: null, ecommerce: null });
  });

  it("reads the order number as a string whether Tiny sends it as a number or a string", () => {
    expect(orderModel.parse({ id: 9, numeroPedido: 1234, situacao: "3" })).toMatchObject({ numeroPedido: "1234", situacao: 3 });
    expect(createdOrderModel.parse({ id: "9", numeroPedido: "1234" })).toMatchObject({ id: 9, numeroPedido: "1234" });
    expect(createdOrderModel.parse({ id: 9 }).numeroPedido).toBeNull();
  });

  it("reads list items with null number, situação and channel id", () => {
    const list = orderListModel.parse({ itens: [{ id: 1, numeroPedido: null, situacao: null, ecommerce: { id: null, numeroPedidoEcommerce: "200" } }], paginacao: { limit: 10, offset: 0, total: 1 } });
    expect(list.itens[0]).toMatchObject({ id: 1, numeroPedido: null, situacao: null, ecommerce: { id: null, numeroPedidoEcommerce: "200" } });
  });

  it("reads an order for shipping with a carrier whose shipping method is a null reference", () => {
    const order = orderShippingModel.parse({ id: 9, numeroPedido: null, situacao: null, idNotaFiscal: "", transportador: { formaEnvio: { id: null, nome: null } } });
    expect(order).toMatchObject({ numeroPedido: null, situacao: null, idNotaFiscal: null, transportador: { formaEnvio: null } });
  });

  it('reads a generated invoice whose number and series are "" or absent', () => {
    expect(generatedInvoiceModel.parse({ id: 5, numero: "", serie: "1" })).toMatchObject({ id: 5, numero: null, serie: 1 });
  });
});

describe("Tiny finance, contacts and shipping models", () => {
  it("reads a receivable whose customer, category and payment form are null references", () => {
    const r = receivableModel.parse({ id: 4, cliente: { id: null, nome: null }, categoria: { id: null, descricao: null }, formaRecebimento: { id: "", nome: null }, valor: "10.00" });
    expect(r).toMatchObject({ id: 4, cliente: null, categoria: null, formaRecebimento: null, valor: 10 });
    const page = receivablePageModel.parse({ itens: [{ id: 4, cliente: { id: null } }], paginacao: { limit: 100, offset: 0, total: 1 } });
    expect(page.itens[0]?.cliente).toBeNull();
  });

  it("reads a contact whose seller is a null reference and address absent", () => {
    const page = contactPageModel.parse({ itens: [{ id: 1, vendedor: { id: null, nome: null } }], paginacao: { limit: 100, offset: 0, total: 1 } });
    expect(page.itens[0]).toMatchObject({ id: 1, vendedor: null, endereco: null, nome: null });
  });

  it("reads a shipping group whose shipments carry null order and invoice references", () => {
    const group = shippingGroupModel.parse({ id: 1, formaEnvio: { id: null }, expedicoes: [{ id: 2, venda: { id: null, numero: null }, notaFiscal: { id: null } }] });
    expect(group).toMatchObject({ formaEnvio: null, expedicoes: [{ id: 2, venda: null, notaFiscal: null }] });
  });
});
