import { MlApiError } from "#integrations/mercadolibre";
import { getClaim, searchClaims } from "#integrations/mercadolibre/claims-api";
import { searchQuestions } from "#integrations/mercadolibre/questions-api";
import { claimRow, toClaimRow, toQuestionRow } from "#integrations/mercadolibre/transform";
import { upsertClaim, upsertQuestion } from "#db/queries/ml-data";
import { openClaimIdsOf } from "#db/queries/ml-sync";
import type { SyncCursor } from "#db/schema";
import { pool, type SyncSession } from "./engine";
import { offsetCap, searchLimit } from "./listings";

type QuestionsCursor = NonNullable<SyncCursor["questions"]>;

/**
 * Questions come whole from /questions/search (api_version=4), so one call per 100. Offset
 * paging up to 1,000, then a scan, as for items. Incremental runs read newest first and stop
 * at the watermark; answers given elsewhere arrive through the `questions` webhook.
 */
export async function syncQuestions(session: SyncSession, since: Date | null): Promise<void> {
  let state: QuestionsCursor = session.cursor.questions ?? { mode: "offset", offset: 0, scrollId: null, done: 0, total: null };
  const save = async (next: QuestionsCursor) => {
    state = next;
    session.cursor = { ...session.cursor, phase: "questions", questions: next };
    await session.commit("questions", next.total ? next.done / next.total : 0);
  };
  const search = (filters: Record<string, string | number | undefined>) => searchQuestions(session.caller, { seller_id: session.account.mlUserId, ...filters });
  const sinceMs = since ? since.getTime() - 5 * 60_000 : null;

  for (;;) {
    let page;
    if (state.mode === "offset") {
      const limit = Math.min(searchLimit, offsetCap - state.offset);
      if (limit <= 0) {
        if (sinceMs !== null) return;
        await save({ mode: "scan", offset: 0, scrollId: null, done: 0, total: state.total });
        continue;
      }
      page = await search({ limit, offset: state.offset, ...(sinceMs !== null ? { sort_fields: "date_created", sort_types: "DESC" } : {}) });
      const total = page.total ?? 0;
      if (state.offset === 0 && sinceMs === null && total > offsetCap) {
        // Too many for offset paging: scan instead (the probe page is dropped; the scan returns it again).
        await save({ mode: "scan", offset: 0, scrollId: null, done: 0, total });
        continue;
      }
    } else {
      page = await search({ search_type: "scan", limit: searchLimit, ...(state.scrollId ? { scroll_id: state.scrollId } : {}) });
    }
    const questions = page.questions;
    const fetchedAt = new Date();
    let older = false;
    await pool(questions, session.options.upsertConcurrency, async (raw) => {
      const row = session.read("questions", raw, (body) => toQuestionRow(body, fetchedAt));
      if (!row) return;
      if (sinceMs !== null && row.mlDateCreated && row.mlDateCreated.getTime() < sinceMs) older = true;
      await session.store("questions", row.mlQuestionId, async () => (await upsertQuestion(session.ctx.db, session.account.id, row)).applied);
    });
    const total = page.total ?? state.total ?? 0;
    const done = state.done + questions.length;
    if (state.mode === "offset") {
      const offset = state.offset + questions.length;
      await save({ ...state, offset, done, total });
      if (!questions.length || older || offset >= total) return;
    } else {
      await save({ ...state, scrollId: page.scroll_id ?? state.scrollId, done, total });
      if (!questions.length) return;
    }
  }
}

const claimsPage = 100;
const claimsOffsetCap = 9_999;

/**
 * Open claims, where the seller is the respondent, 100 per call. Claims we hold as open that
 * the search no longer lists were closed meanwhile: each is read once more to store how.
 */
export async function syncClaims(session: SyncSession): Promise<void> {
  let offset = session.cursor.claims?.offset ?? 0;
  const seen = new Set<number>();
  for (;;) {
    const page = await searchClaims(session.caller, {
      "players.user_id": session.account.mlUserId,
      "players.role": "respondent",
      status: "opened",
      limit: claimsPage,
      offset,
    });
    const claims = page.data;
    const fetchedAt = new Date();
    await pool(claims, session.options.upsertConcurrency, async (raw) => {
      const row = session.read("claims", raw, (body) => toClaimRow(body, fetchedAt));
      if (!row) return;
      seen.add(row.mlClaimId);
      await session.store("claims", row.mlClaimId, async () => (await upsertClaim(session.ctx.db, session.account.id, row)).applied);
    });
    offset += claims.length;
    const total = page.paging?.total ?? 0;
    session.cursor = { ...session.cursor, phase: "claims", claims: { offset } };
    await session.commit("claims", total ? (offset / total) * 0.9 : 0.9);
    if (claims.length < claimsPage || offset >= total || offset + claimsPage > claimsOffsetCap) break;
  }
  // After a resume `seen` misses the pages before the crash; re-reading those few open claims is harmless.
  const stale = (await openClaimIdsOf(session.ctx.db, session.account.id)).filter((id) => !seen.has(id));
  await pool(stale, 4, async (id) => {
    const fetchedAt = new Date();
    try {
      const row = claimRow(await getClaim(session.caller, id), fetchedAt);
      await session.store("claims", id, async () => (await upsertClaim(session.ctx.db, session.account.id, row)).applied);
    } catch (error) {
      if (error instanceof MlApiError && !error.retryable) {
        session.fail("claims", [String(id)], `Claim ${id} could not be re-read: ${error.message}`, error.mlError ?? error.code);
        return;
      }
      throw error;
    }
  });
  await session.commit("claims", 1);
}
