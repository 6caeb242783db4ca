import type { Context, Hono } from "hono";
import { optionalUser, requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, forbidden, mlError, notFound } from "./errors";
import { renderQuestion } from "./render";
import { createScroll, readScroll, ScrollError } from "./scroll";
import type { QuestionRec } from "./types";

export const ANSWER_MAX_CHARS = 2000;
const QUESTIONS_MAX_OFFSET = 1000;
const STATUSES = ["ANSWERED", "BANNED", "CLOSED_UNANSWERED", "DELETED", "DISABLED", "UNANSWERED", "UNDER_REVIEW"];

function search(ctx: MlContext, c: Context): Response {
  const caller = optionalUser(ctx, c);
  if (caller instanceof Response) return caller;
  const q = c.req.query();
  const itemId = q.item ?? q.item_id;
  const sellerId = q.seller_id !== undefined ? Number(q.seller_id) : undefined;
  if (sellerId === undefined && itemId === undefined && q.from === undefined) return badRequest(c, "At least one of seller_id, item or from is required");
  // Questions by seller are private to that seller; by item they are public.
  if (sellerId !== undefined) {
    if (caller === undefined) return mlError(c, 401, "unauthorized", "authorization value not present");
    if (sellerId !== caller) return forbidden(c);
  }
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 0 || limit > 100) return badRequest(c, "Invalid limit parameter; it must be between 0 and 100");
  const status = q.status?.toUpperCase();
  if (status && !STATUSES.includes(status)) return badRequest(c, `Invalid status: ${q.status}`);
  const from = q.from !== undefined ? Number(q.from) : undefined;

  let rows: QuestionRec[] = [];
  for (const x of ctx.state.questions.values()) {
    if (sellerId !== undefined && x.sellerId !== sellerId) continue;
    if (itemId !== undefined && x.itemId !== itemId) continue;
    if (from !== undefined && x.buyerId !== from) continue;
    if (status && x.status !== status) continue;
    rows.push(x);
  }
  const sortFields = (q.sort_fields ?? "date_created").split(",");
  const desc = (q.sort_types ?? "DESC").toUpperCase() === "DESC";
  rows = rows.sort((a, b) => {
    for (const f of sortFields) {
      const av = f === "item_id" ? a.itemId : f === "from_id" ? a.buyerId : f === "seller_id" ? a.sellerId : a.created;
      const bv = f === "item_id" ? b.itemId : f === "from_id" ? b.buyerId : f === "seller_id" ? b.sellerId : b.created;
      if (av < bv) return desc ? 1 : -1;
      if (av > bv) return desc ? -1 : 1;
    }
    return a.id - b.id;
  });

  const filters = { limit, offset: 0, api_version: "4", is_admin: false, sorts: [], caller: caller ?? null, ...(itemId ? { item: itemId } : {}), ...(sellerId ? { seller: String(sellerId) } : {}) };
  const extra = {
    available_filters: [{ id: "from" }, { id: "seller" }, { id: "totalDivisions" }, { id: "division" }, { id: "status", values: STATUSES }],
    available_sorts: ["item_id", "from_id", "date_created", "seller_id"],
  };
  if (q.search_type === "scan" || q.scroll_id) {
    if (q.offset !== undefined) return badRequest(c, "offset is not allowed with search_type=scan");
    const owner = caller ?? 0;
    try {
      const page = q.scroll_id
        ? readScroll<number>(ctx, q.scroll_id, "questions", owner, limit)
        : createScroll(
            ctx,
            "questions",
            owner,
            rows.map((r) => r.id),
            limit,
          );
      return c.json({
        total: page.total,
        limit,
        scroll_id: page.scrollId,
        questions: page.results.map((id) => renderQuestion(ctx.state.questions.get(id) as QuestionRec, true)),
        filters,
        ...extra,
      });
    } catch (err) {
      if (err instanceof ScrollError) return badRequest(c, err.message, err.code);
      throw err;
    }
  }
  const offset = q.offset === undefined ? 0 : Number(q.offset);
  if (!Number.isInteger(offset) || offset < 0) return badRequest(c, "Invalid offset parameter");
  if (offset + limit > QUESTIONS_MAX_OFFSET) return badRequest(c, `offset + limit must be lower or equal to ${QUESTIONS_MAX_OFFSET}; use search_type=scan`);
  return c.json({
    total: rows.length,
    limit,
    questions: rows.slice(offset, offset + limit).map((x) => renderQuestion(x, true)),
    filters: { ...filters, offset },
    ...extra,
  });
}

export function registerQuestionRoutes(app: Hono, ctx: MlContext): void {
  app.get("/questions/search", (c) => search(ctx, c));

  app.get("/questions/:id{[0-9]+}", (c) => {
    const caller = optionalUser(ctx, c);
    if (caller instanceof Response) return caller;
    const x = ctx.state.questions.get(Number(c.req.param("id")));
    if (!x || x.status === "DELETED") return notFound(c, `Question ${c.req.param("id")} not found`);
    return c.json(renderQuestion(x, false));
  });

  app.post("/answers", async (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const body = (await c.req.json().catch(() => null)) as { question_id?: unknown; text?: unknown } | null;
    if (!body || typeof body !== "object") return badRequest(c, "Invalid JSON body");
    const questionId = Number(body.question_id);
    if (!Number.isInteger(questionId) || questionId <= 0) return badRequest(c, "question_id is required", "bad_request");
    if (typeof body.text !== "string" || body.text.trim() === "") return badRequest(c, "text is required", "bad_request");
    // ML counts characters, not bytes; accented Portuguese text must still fit 2,000.
    if ([...body.text].length > ANSWER_MAX_CHARS) {
      return badRequest(c, `The answer text exceeds the maximum length of ${ANSWER_MAX_CHARS} characters`, "text_too_long");
    }
    const x = ctx.state.questions.get(questionId);
    if (!x || x.status === "DELETED") return notFound(c, `Question ${questionId} not found`);
    if (x.sellerId !== caller) return forbidden(c);
    if (x.status !== "UNANSWERED") return badRequest(c, `Question ${questionId} is ${x.status} and cannot be answered`, "not_unanswered_question");
    const now = ctx.clock.now();
    x.answer = { text: body.text, status: "ACTIVE", created: now };
    x.status = "ANSWERED";
    x.updated = now;
    ctx.state.onChange();
    ctx.notify.emit("questions", `/questions/${x.id}`, x.sellerId);
    return c.json(renderQuestion(x, false));
  });
}
