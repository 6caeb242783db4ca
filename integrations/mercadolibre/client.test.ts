import { describe, expect, it } from "vitest";
import { endpointLabel } from "./client";

describe("endpointLabel", () => {
  it("replaces item, user-product and numeric ids so labels stay low-cardinality", () => {
    expect(endpointLabel("GET", "/items/MLB123456789")).toBe("GET /items/{id}");
    expect(endpointLabel("GET", "/user-products/MLBU123456789/stock")).toBe("GET /user-products/{id}/stock");
    expect(endpointLabel("GET", "/orders/2000010000000324?x=1")).toBe("GET /orders/{id}");
    expect(endpointLabel("GET", "/users/me")).toBe("GET /users/me");
  });
});
