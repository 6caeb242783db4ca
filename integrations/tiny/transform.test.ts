import { describe, expect, it } from "vitest";
import { productListItemModel, productModel } from "./schemas";
import { tinyProductRow } from "./transform";

// Bodies as Tiny's spec allows them (tiny-v3-openapi.json: ListagemProdutosResponseModel,
// ObterProdutoModelResponse), parsed by our models first, as the callers do.

describe("tinyProductRow", () => {
  it("keeps a list item's fields and the stamp the caller read from it", () => {
    const item = productListItemModel.parse({
      id: 337,
      sku: "CAM-01",
      descricao: "Camiseta",
      tipo: "S",
      situacao: "A",
      dataCriacao: "2026-07-01 09:00:00",
      dataAlteracao: "2026-07-11 14:22:01",
      unidade: "UN",
      gtin: "7891234567895",
      precos: { preco: 59.9, precoPromocional: null },
    });
    const changedAt = new Date("2026-07-11T17:22:01Z");
    expect(tinyProductRow(item, changedAt)).toEqual({
      tinyProductId: 337,
      sku: "CAM-01",
      name: "Camiseta",
      type: "S",
      status: "A",
      unit: "UN",
      gtin: "7891234567895",
      price: "59.90",
      tinyUpdatedAt: changedAt,
    });
  });

  it("gives a single product read no stamp, and no price when Tiny sends none", () => {
    const product = productModel.parse({ id: 8, descricao: "Kit", produtoPai: { id: null }, precos: null });
    expect(tinyProductRow(product)).toEqual({ tinyProductId: 8, sku: null, name: "Kit", type: null, status: null, unit: null, gtin: null, price: null, tinyUpdatedAt: null });
  });

  it("writes prices with two decimals, a zero price included, and a price sent as a string", () => {
    const row = (preco: unknown) => tinyProductRow(productModel.parse({ id: 1, descricao: "x", precos: { preco } })).price;
    expect(row(0)).toBe("0.00");
    expect(row(10)).toBe("10.00");
    expect(row("12.345")).toBe("12.35");
    expect(row(null)).toBeNull();
  });

  it("keeps the status of a deleted product, so the cache knows it cannot be linked", () => {
    expect(tinyProductRow(productModel.parse({ id: 9, descricao: "Velho", situacao: "E" })).status).toBe("E");
  });
});
