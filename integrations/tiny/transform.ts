import type { TinyProductRow } from "#db/queries/tiny";
import type { TinyProduct } from "./schemas";

/**
 * Tiny resources reduced to the rows we store. A list page's item and a single product read
 * both carry what the catalogue cache keeps, so either becomes the same row.
 */

/**
 * A product as the catalogue cache (tiny_products) keeps it. `tinyUpdatedAt` is Tiny's own
 * last-change stamp when the read carried one (a list page does, GET /produtos/{id} does not).
 */
export function tinyProductRow(p: Pick<TinyProduct, "id" | "sku" | "descricao" | "tipo" | "situacao" | "unidade" | "gtin" | "precos">, tinyUpdatedAt: Date | null = null): TinyProductRow {
  const price = p.precos?.preco;
  return { tinyProductId: p.id, sku: p.sku, name: p.descricao, type: p.tipo, status: p.situacao, unit: p.unidade, gtin: p.gtin, price: price == null ? null : price.toFixed(2), tinyUpdatedAt };
}
