import { describe, expect, it } from "vitest";
import { withBlanks } from "./variants";

// The sandbox's blanks vary, but only among the forms the spec allows, never for a value that is
// there, and always the same way for the same record.

const body = (id: number) => ({
  id,
  descricao: "Camiseta",
  gtin: null as string | null,
  dataAlteracao: "",
  saldo: 0,
  idNotaFiscal: null as number | null,
  produtoPai: { id: null, sku: null, descricao: null },
  categoria: { id: 5, nome: "Roupas" },
  itens: [{ produto: { id: null }, quantidade: 1 }],
});

const formOf = (record: Record<string, unknown>, key: string) => (key in record ? JSON.stringify(record[key]) : "absent");

describe("withBlanks", () => {
  const rendered = Array.from({ length: 60 }, (_, i) => withBlanks(42, `produto:${i}`, body(i), ["gtin", "dataAlteracao"]) as Record<string, unknown>);

  it("renders the same record the same way every time", () => {
    expect(withBlanks(42, "produto:7", body(7), ["gtin", "dataAlteracao"])).toEqual(rendered[7]);
    expect(JSON.stringify(rendered)).not.toBe(JSON.stringify(Array.from({ length: 60 }, (_, i) => withBlanks(43, `produto:${i}`, body(i), ["gtin", "dataAlteracao"]))));
  });

  it("says 'no value' as null, \"\" or nothing where the spec types the field as a nullable string", () => {
    expect(new Set(rendered.map((r) => formOf(r, "gtin")))).toEqual(new Set(["null", '""', "absent"]));
    expect(new Set(rendered.map((r) => formOf(r, "dataAlteracao")))).toEqual(new Set(["null", '""', "absent"]));
  });

  it("keeps other blanks in their own type or leaves them out, and empty references whole or out", () => {
    expect(new Set(rendered.map((r) => formOf(r, "idNotaFiscal")))).toEqual(new Set(["null", "absent"]));
    expect(new Set(rendered.map((r) => formOf(r, "produtoPai")))).toEqual(new Set([JSON.stringify({ id: null, sku: null, descricao: null }), "absent"]));
    const nested = rendered.map((r) => formOf((r.itens as Array<Record<string, unknown>>)[0]!, "produto"));
    expect(new Set(nested)).toEqual(new Set([JSON.stringify({ id: null }), "absent"]));
  });

  it("never touches a value that is there", () => {
    for (const [i, r] of rendered.entries()) {
      expect(r).toMatchObject({ id: i, descricao: "Camiseta", saldo: 0, categoria: { id: 5, nome: "Roupas" } });
      expect((r.itens as Array<Record<string, unknown>>)[0]!.quantidade).toBe(1);
    }
  });
});
