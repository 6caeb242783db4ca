import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { describeParseFailure } from "#core/parse-failure";
import { mlClaimsSearchModel } from "./claims-api";
import { mlMissedFeedsModel } from "./feeds-api";
import { mlEditableItemModel, mlItemDescriptionModel, mlItemsSearchModel, mlMultigetModel, mlUserProductStockModel } from "./items-api";
import { missingFieldsOf, mlOrdersSearchModel } from "./orders-api";
import { mlQuestionsSearchModel } from "./questions-api";
import { mlMeModel } from "./users-api";
import { isMlUnreadableBody, parseBody } from "./wire";

// The envelopes and small bodies the endpoint modules parse, from mercadolibre-api.md's examples,
// then the variants ML may send: blocks absent or null, numbers as strings, empty pages. The
// records inside a page stay unparsed here (the transforms read each one; transform.test.ts).

describe("items-api models", () => {
  it("reads §3.1's search page, its scan variant and the empty page that ends a scan", () => {
    const page = mlItemsSearchModel.parse({
      seller_id: "123456789",
      query: null,
      paging: { limit: 50, offset: 0, total: 1 },
      results: ["MLA844702264"],
      orders: [{ id: "stop_time_asc", name: "Order by stop time ascending" }],
      available_orders: [{ id: "stop_time_desc" }],
    });
    expect(page).toMatchObject({ results: ["MLA844702264"], paging: { total: 1, offset: 0, limit: 50 }, scroll_id: null });
    expect(mlItemsSearchModel.parse({ results: ["MLB1"], scroll_id: "YXBp", paging: { total: "5000" } })).toMatchObject({ results: ["MLB1"], scroll_id: "YXBp", paging: { total: 5000 } });
    expect(mlItemsSearchModel.parse({ results: null, paging: null })).toEqual({ results: [], paging: null, scroll_id: null });
    expect(mlItemsSearchModel.parse({})).toEqual({ results: [], paging: null, scroll_id: null });
  });

  it("refuses a search page whose ids are not strings, naming the field", () => {
    const result = mlItemsSearchModel.safeParse({ results: [123] });
    expect(result.success).toBe(false);
    expect(describeParseFailure(result.error!, { results: [123] }).paths).toEqual(["results[0]"]);
  });

  it("reads §3.3's multiget entries, failed ones included, and treats a non-array as no entries", () => {
    const entries = mlMultigetModel.parse([
      { code: 200, body: { id: "MLA599260060", title: "x", price: 130 } },
      { code: 404, body: { message: "Item not found", error: "not_found", status: 404, cause: [] } },
    ]);
    expect(entries.map((entry) => entry.code)).toEqual([200, 404]);
    expect(entries[0]!.body).toMatchObject({ id: "MLA599260060" });
    expect(mlMultigetModel.parse({ error: "oops" })).toEqual([]);
    expect(mlMultigetModel.parse([{ code: "200", body: null }])).toEqual([{ code: 200, body: null }]);
  });

  it("reads an item to change with ML's own price, and with optional blocks absent or null", () => {
    const item = mlEditableItemModel.parse({
      id: "MLB1",
      price: 62.5,
      available_quantity: 3,
      status: "active",
      user_product_id: "MLBU1",
      shipping: { mode: "me2", logistic_type: "fulfillment" },
      variations: [{ id: "180000000001", price: "10.5", available_quantity: 1, attribute_combinations: [] }],
    });
    expect(item).toMatchObject({ price: 62.5, user_product_id: "MLBU1", shipping: { logistic_type: "fulfillment" } });
    expect(item.variations).toEqual([{ id: 180000000001, price: 10.5, available_quantity: 1, attribute_combinations: [] }]);
    expect(mlEditableItemModel.parse({ id: "MLB2", shipping: null, variations: null, price: null })).toMatchObject({
      price: null,
      available_quantity: null,
      status: null,
      user_product_id: null,
      shipping: null,
      variations: null,
    });
    expect(mlEditableItemModel.safeParse({ price: 1 }).success).toBe(false);
  });

  it("reads a description's plain text, absent or null included", () => {
    expect(mlItemDescriptionModel.parse({ plain_text: "Novo", text: "", last_updated: "2026-01-01T00:00:00.000Z" }).plain_text).toBe("Novo");
    expect(mlItemDescriptionModel.parse({}).plain_text).toBeNull();
    expect(mlItemDescriptionModel.parse({ plain_text: null }).plain_text).toBeNull();
  });

  it("reads §3.5's user product stock, with locations absent", () => {
    const stock = mlUserProductStockModel.parse({
      locations: [
        { type: "selling_address", network_node_id: "1", store_id: null, quantity: 7 },
        { type: "meli_facility", quantity: 2 },
      ],
      user_id: 1,
      id: "MLBU1",
    });
    expect(stock.locations?.map((location) => [location.type, location.quantity])).toEqual([
      ["selling_address", 7],
      ["meli_facility", 2],
    ]);
    expect(mlUserProductStockModel.parse({ id: "MLBU1" }).locations).toBeNull();
  });
});

describe("orders-api", () => {
  it("reads §4.1's search envelope; results stay whole orders for the transform", () => {
    const order = { id: 2000003508419013, status: "paid" };
    const page = mlOrdersSearchModel.parse({
      query: "2032217210",
      results: [order],
      sort: { id: "date_asc", name: "Date ascending" },
      available_sorts: [{ id: "date_desc", name: "Date descending" }],
      filters: [],
      paging: { total: 1, offset: 0, limit: 50 },
      display: "complete",
    });
    expect(page.results).toEqual([order]);
    expect(page.paging).toMatchObject({ total: 1, offset: 0, limit: 50 });
    expect(mlOrdersSearchModel.parse({ results: null })).toEqual({ results: [], paging: null });
    expect(mlOrdersSearchModel.parse({ paging: { total: null } })).toEqual({ results: [], paging: { total: null, offset: null, limit: null } });
  });

  it("takes X-Content-Missing from a 206 only", () => {
    const headers = new Headers({ "x-content-missing": "buyer, feedback ,," });
    expect(missingFieldsOf(206, headers)).toEqual(["buyer", "feedback"]);
    expect(missingFieldsOf(206, new Headers())).toEqual([]);
    expect(missingFieldsOf(200, headers)).toEqual([]);
  });
});

describe("questions, claims, feeds and users models", () => {
  it("reads §6's questions search, and the scan variant", () => {
    const question = { id: 11436370259, item_id: "MLB1623490410", status: "UNANSWERED", answer: null, from: { id: 419067349 } };
    const page = mlQuestionsSearchModel.parse({ total: 1, limit: 50, questions: [question], filters: { limit: 50, offset: 0 }, available_sorts: ["item_id"] });
    expect(page).toMatchObject({ total: 1, questions: [question], scroll_id: null });
    expect(mlQuestionsSearchModel.parse({ questions: [], scroll_id: "c2Nyb2xs", total: "1200" })).toMatchObject({ total: 1200, scroll_id: "c2Nyb2xs" });
    expect(mlQuestionsSearchModel.parse({ questions: null })).toEqual({ questions: [], total: null, scroll_id: null });
  });

  it("reads §7's claims search", () => {
    const claim = { id: 5256749420, status: "opened" };
    expect(mlClaimsSearchModel.parse({ paging: { total: 1, offset: 0, limit: 30 }, data: [claim] })).toEqual({ data: [claim], paging: { total: 1, offset: 0, limit: 30 } });
    expect(mlClaimsSearchModel.parse({})).toEqual({ data: [], paging: null });
  });

  it("reads §5.3's missed feeds, with messages absent", () => {
    const message = { _id: "5da8a1b24be30a49eb66c52a", resource: "/items/MLA820048955", user_id: 468424240, topic: "items", request: { data: "{}" } };
    expect(mlMissedFeedsModel.parse({ messages: [message] }).messages).toEqual([message]);
    expect(mlMissedFeedsModel.parse({}).messages).toEqual([]);
    expect(mlMissedFeedsModel.parse({ messages: null }).messages).toEqual([]);
  });

  it("reads §2's own profile and the public subset, and needs only the id", () => {
    expect(mlMeModel.parse({ id: 206946886, nickname: "TETE6838590", site_id: "MLA", logo: null, seller_reputation: { level_id: null } })).toMatchObject({
      id: 206946886,
      nickname: "TETE6838590",
      site_id: "MLA",
    });
    expect(mlMeModel.parse({ id: "206946886" })).toMatchObject({ id: 206946886, nickname: null, site_id: null });
    expect(mlMeModel.safeParse({ nickname: "X" }).success).toBe(false);
  });
});

describe("parseBody", () => {
  it("returns the parsed body with ML's status and headers", () => {
    const headers = new Headers({ "x-version": "3" });
    const parsed = parseBody({ status: 200, headers, data: { results: ["MLB1"] } }, mlItemsSearchModel);
    expect(parsed).toEqual({ status: 200, headers, data: { results: ["MLB1"], paging: null, scroll_id: null } });
  });

  it("throws a ZodError that keeps the body and status, so the caller can say where it broke", () => {
    const body = { results: "MLB1", paging: { total: 1 } };
    let thrown: unknown;
    try {
      parseBody({ status: 206, headers: new Headers(), data: body }, mlItemsSearchModel);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ZodError);
    expect(isMlUnreadableBody(thrown)).toBe(true);
    if (!isMlUnreadableBody(thrown)) return;
    expect(thrown.status).toBe(206);
    expect(thrown.body).toBe(body);
    expect(describeParseFailure(thrown, thrown.body).paths).toEqual(["results"]);
  });

  it("does not take a transform's ZodError for an unreadable body", () => {
    const error = mlItemsSearchModel.safeParse({ results: 1 }).error;
    expect(error).toBeInstanceOf(ZodError);
    expect(isMlUnreadableBody(error)).toBe(false);
  });
});
