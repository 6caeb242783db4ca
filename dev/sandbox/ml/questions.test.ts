import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MlSandbox } from "./index";
import { api, control, startTestSandbox, type Api, type Loose } from "./test-helpers";

let sb: MlSandbox;
let seller: Api;
let other: Api;
beforeAll(async () => {
  sb = await startTestSandbox();
  seller = api(sb);
  other = api(sb, sb.issueToken(sb.sellers.second.id).access_token);
});
afterAll(() => sb.close());

async function newQuestion(): Promise<number> {
  const itemId = sb.ctx.state.sellerItems.get(sb.sellers.demo.id)?.[0];
  const q = await control(sb, "POST", "/_sandbox/questions", { item_id: itemId, text: "Qual a voltagem?" });
  expect(q.status).toBe(201);
  return q.body.id;
}

describe("questions and answers", () => {
  it("searches the seller's questions in the api_version=4 shape", async () => {
    const id = await newQuestion();
    const res = await seller.get(`/questions/search?seller_id=${sb.sellers.demo.id}&status=UNANSWERED&api_version=4&limit=50`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ limit: 50, filters: { api_version: "4" }, available_sorts: ["item_id", "from_id", "date_created", "seller_id"] });
    expect(res.body.questions.map((q: Loose) => q.id)).toContain(id);
    for (const q of res.body.questions) expect(q.status).toBe("UNANSWERED");
    expect((await other.get(`/questions/search?seller_id=${sb.sellers.demo.id}`)).status).toBe(403);
  });

  it("answers with POST /answers, enforcing 2000 characters", async () => {
    const id = await newQuestion();
    const long = await seller.post("/answers", { question_id: id, text: "é".repeat(2001) });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ status: 400, cause: [] });
    expect((await seller.post("/answers", { question_id: id, text: "" })).status).toBe(400);
    expect((await other.post("/answers", { question_id: id, text: "oi" })).status).toBe(403);
    const ok = await seller.post("/answers", { question_id: id, text: "é".repeat(2000) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id, status: "ANSWERED", answer: { status: "ACTIVE" } });
    expect((await seller.post("/answers", { question_id: id, text: "de novo" })).status).toBe(400);
    expect((await seller.get(`/questions/${id}?api_version=4`)).body.status).toBe("ANSWERED");
    expect((await seller.post("/answers", { question_id: 1, text: "x" })).status).toBe(404);
  });
});

describe("claims", () => {
  it("requires a filter and paired filters, and returns only the caller's claims", async () => {
    const base = "/post-purchase/v1/claims/search";
    expect((await seller.get(`${base}?limit=10`)).body.error).toBe("invalid_query");
    expect((await seller.get(`${base}?players.role=respondent`)).body.error).toBe("invalid_params");
    const order = [...sb.ctx.state.orders.values()].find((o) => o.sellerId === sb.sellers.demo.id && o.status === "paid");
    const opened = await control(sb, "POST", "/_sandbox/claims", { order_id: order?.id, reason_id: "PNR3430" });
    const res = await seller.get(`${base}?players.user_id=${sb.sellers.demo.id}&players.role=respondent&status=opened`);
    expect(res.body.paging).toMatchObject({ offset: 0, limit: 30 });
    expect(res.body.data.map((x: Loose) => x.id)).toContain(opened.body.id);
    expect((await other.get(`${base}?status=opened`)).body.data.map((x: Loose) => x.id)).not.toContain(opened.body.id);
    const one = await seller.get(`/post-purchase/v1/claims/${opened.body.id}`);
    expect(one.body).toMatchObject({ id: opened.body.id, resource: "order", resource_id: order?.id, status: "opened", reason_id: "PNR3430" });
    expect((await other.get(`/post-purchase/v1/claims/${opened.body.id}`)).status).toBe(403);
    await control(sb, "POST", `/_sandbox/claims/${opened.body.id}/close`);
    expect((await seller.get(`/post-purchase/v1/claims/${opened.body.id}`)).body.status).toBe("closed");
  });
});

describe("users", () => {
  it("shows the private profile to its owner and the public one to others", async () => {
    const me = await seller.get("/users/me");
    expect(me.body).toMatchObject({ id: sb.sellers.demo.id, email: expect.any(String), site_id: "MLB" });
    const pub = await other.get(`/users/${sb.sellers.demo.id}`);
    expect(pub.body.id).toBe(sb.sellers.demo.id);
    expect(pub.body.email).toBeUndefined();
    expect((await seller.get("/users/1")).status).toBe(404);
  });
});
