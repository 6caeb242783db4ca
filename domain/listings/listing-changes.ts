import type { Database } from "#db/database";
import { upsertListing } from "#db/queries/ml-data";
import { recordListingChange } from "#db/queries/ml-sync";
import { AppError } from "#core/errors";
import { listingRow } from "#integrations/mercadolibre/transform";
import { describeError } from "#core/redact";
import type { MlClient } from "#integrations/mercadolibre/client";
import { MlApiError } from "#integrations/mercadolibre/errors";
import { getEditableItem, getItem, getUserProductStock, setUserProductSellingStock, updateItem } from "#integrations/mercadolibre/items-api";

/**
 * The one way we change a listing on MercadoLibre (price, stock, status); later features
 * (Tiny stock sync, repricing, automations) call this rather than PUT /items themselves,
 * because the rules are easy to get wrong (mercadolibre-api.md §3.4–3.5, §13.8–9):
 *
 * - Variations are addressed by id, and a PUT with `variations` sends *every* existing
 *   variation with its id: ML deletes variations left out (and recreates ones sent without
 *   an id, losing their sales history).
 * - Stock of a listing on the User Products model goes through
 *   `PUT /user-products/{id}/stock/type/selling_address` with the `x-version` ML returned on
 *   the GET; a stale version answers 409, so it is read again and retried.
 * - Fulfillment (Full) stock is ML's to manage: refused here before ML refuses it.
 *
 * Every field changed is written to ml_listing_changes with the old and new value, the
 * reason the caller gave, the endpoint used and whether ML accepted it. The listing row is
 * then refreshed from ML so the API reads what ML now holds.
 */

export type ListingStatus = "active" | "paused" | "closed";

export interface ListingChangeRequest {
  accountId: string;
  mlItemId: string;
  /** Required for stock on listings with variations; price without it applies to every variation. */
  variationId?: number | undefined;
  price?: number | undefined;
  availableQuantity?: number | undefined;
  status?: ListingStatus | undefined;
  /** Why: kept with the change ("tiny stock sync", "repricing rule 12", "manual"). */
  reason: string;
  requestedBy?: string | null | undefined;
}

export interface AppliedChange {
  field: "price" | "available_quantity" | "status";
  variationId: number | null;
  oldValue: string | null;
  newValue: string;
  method: "items_put" | "user_products_stock";
}

const maxVersionRetries = 3;

export interface ListingChangeDeps {
  ml: MlClient;
  db: Database;
}

function invalid(path: string, message: string): AppError {
  return new AppError("validation_failed", message, { fields: [{ path, message }] });
}

export async function changeListing({ ctx: deps, input: request }: { ctx: ListingChangeDeps; input: ListingChangeRequest }): Promise<{ changes: AppliedChange[] }> {
  const { ml, db } = deps;
  if (request.price === undefined && request.availableQuantity === undefined && request.status === undefined) {
    throw invalid("body", "Nothing to change: give price, availableQuantity or status.");
  }
  if (request.price !== undefined && !(request.price > 0)) throw invalid("body.price", "must be greater than 0");
  if (request.availableQuantity !== undefined && !(Number.isInteger(request.availableQuantity) && request.availableQuantity >= 0)) {
    throw invalid("body.availableQuantity", "must be a whole number ≥ 0");
  }
  const client = ml.forAccount(request.accountId);
  const item = await getEditableItem(client, request.mlItemId);
  const variations = item.variations ?? [];
  const target = request.variationId === undefined ? undefined : variations.find((v) => v.id === request.variationId);
  if (request.variationId !== undefined && !target) throw invalid("body.variationId", `Listing ${item.id} has no variation ${request.variationId}.`);
  if (request.availableQuantity !== undefined && variations.length && !target) {
    throw invalid("body.variationId", "Stock of a listing with variations is set per variation: give variationId.");
  }

  const changes: AppliedChange[] = [];
  const record = async (change: AppliedChange, outcome: "applied" | "failed", error?: string) => {
    await recordListingChange(db, {
      accountId: request.accountId,
      mlItemId: item.id,
      mlVariationId: change.variationId,
      field: change.field,
      oldValue: change.oldValue,
      newValue: change.newValue,
      reason: request.reason,
      method: change.method,
      outcome,
      error: error ?? null,
      requestedBy: request.requestedBy ?? null,
    });
    if (outcome === "applied") changes.push(change);
  };

  const fulfillment = item.shipping?.logistic_type === "fulfillment";
  const viaUserProducts = request.availableQuantity !== undefined && !!item.user_product_id && !variations.length;
  if (request.availableQuantity !== undefined && fulfillment && !viaUserProducts) {
    throw new AppError("conflict", "Stock of a Full (fulfillment) listing is managed by MercadoLibre and cannot be set.", {
      retryable: false,
      fields: [{ path: "body.availableQuantity", message: "not modifiable on fulfillment listings" }],
    });
  }

  // Price and status (and stock outside User Products) go in one PUT /items.
  const body: Record<string, unknown> = {};
  const planned: AppliedChange[] = [];
  if (request.status !== undefined) {
    body.status = request.status;
    planned.push({ field: "status", variationId: null, oldValue: item.status ?? null, newValue: request.status, method: "items_put" });
  }
  const touchesVariations = variations.length > 0 && (request.price !== undefined || (request.availableQuantity !== undefined && !viaUserProducts));
  if (touchesVariations) {
    // Every variation goes back with its id, changed or not: one left out would be deleted.
    body.variations = variations.map((v) => {
      const entry: Record<string, unknown> = { id: v.id };
      const addressed = target ? v.id === target.id : true;
      if (addressed && request.price !== undefined) {
        entry.price = request.price;
        planned.push({ field: "price", variationId: v.id, oldValue: v.price == null ? null : String(v.price), newValue: String(request.price), method: "items_put" });
      }
      if (addressed && target && request.availableQuantity !== undefined) {
        entry.available_quantity = request.availableQuantity;
        planned.push({
          field: "available_quantity",
          variationId: v.id,
          oldValue: v.available_quantity == null ? null : String(v.available_quantity),
          newValue: String(request.availableQuantity),
          method: "items_put",
        });
      }
      return entry;
    });
  } else {
    if (request.price !== undefined) {
      body.price = request.price;
      planned.push({ field: "price", variationId: null, oldValue: item.price == null ? null : String(item.price), newValue: String(request.price), method: "items_put" });
    }
    if (request.availableQuantity !== undefined && !viaUserProducts) {
      body.available_quantity = request.availableQuantity;
      planned.push({
        field: "available_quantity",
        variationId: null,
        oldValue: item.available_quantity == null ? null : String(item.available_quantity),
        newValue: String(request.availableQuantity),
        method: "items_put",
      });
    }
  }

  if (planned.length) {
    try {
      await updateItem(client, item.id, body);
    } catch (error) {
      for (const change of planned) await record(change, "failed", describeError(error).slice(0, 500));
      throw error;
    }
    for (const change of planned) await record(change, "applied");
  }

  if (viaUserProducts && item.user_product_id && request.availableQuantity !== undefined) {
    await setUserProductStock(deps, request, item.user_product_id, request.availableQuantity, record);
  }

  // Read back with attributes (variation SKUs live there) so our row matches what ML now holds.
  const fetchedAt = new Date();
  const fresh = await getItem(client, item.id, { allAttributes: true });
  await upsertListing(db, request.accountId, listingRow(fresh, fetchedAt));
  return { changes };
}

async function setUserProductStock(
  deps: ListingChangeDeps,
  request: ListingChangeRequest,
  userProductId: string,
  quantity: number,
  record: (change: AppliedChange, outcome: "applied" | "failed", error?: string) => Promise<void>,
): Promise<void> {
  const client = deps.ml.forAccount(request.accountId);
  for (let attempt = 1; ; attempt++) {
    const { locations, version } = await getUserProductStock(client, userProductId);
    const before = locations.find((l) => l.type === "selling_address")?.quantity ?? null;
    const change: AppliedChange = { field: "available_quantity", variationId: null, oldValue: before === null ? null : String(before), newValue: String(quantity), method: "user_products_stock" };
    if (!version) {
      await record(change, "failed", "ML sent no x-version for the user product's stock.");
      throw new AppError("bad_gateway", "MercadoLibre sent no x-version for the user product's stock.", { retryable: true });
    }
    try {
      await setUserProductSellingStock(client, userProductId, quantity, version);
      await record(change, "applied");
      return;
    } catch (error) {
      // 409: someone changed the stock since our GET; read the new version and try again.
      if (error instanceof MlApiError && error.mlStatus === 409 && attempt < maxVersionRetries) continue;
      await record(change, "failed", describeError(error).slice(0, 500));
      throw error;
    }
  }
}
