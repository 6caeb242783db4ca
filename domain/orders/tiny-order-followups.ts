import type { OrderPushChange, TinyOrderPush } from "#db/queries/tiny-orders";
import { TinyApiError } from "#integrations/tiny/errors";
import type { TinyOrderApi } from "#integrations/tiny/orders-api";
import { isCancelledMlStatus, isPaidMlStatus } from "./paid";

/**
 * What happens to a Tiny order after it exists, driven by the ML order's state: a paid sale
 * posts its stock (the one place an ML sale lowers Tiny stock), its receivables and — when the
 * account asks for it — its invoice; a cancelled sale cancels the Tiny order and returns its
 * stock and receivables. Each step has its own timestamp column on the push row, written as
 * soon as Tiny confirms it, so a retry resumes at the first step not yet done and nothing is
 * posted or returned twice.
 */

export type FollowUpStep = "post_stock" | "generate_invoice" | "emit_invoice" | "post_receivables" | "cancel_order" | "return_stock" | "reverse_receivables";

/** The steps a created order still owes, in the order they must run. */
export function owedFollowUps(push: TinyOrderPush, mlStatus: string, invoiceOnPaid: boolean): FollowUpStep[] {
  if (push.tinyOrderId === null) return [];
  const steps: FollowUpStep[] = [];
  if (isCancelledMlStatus(mlStatus)) {
    if (!push.tinyCancelledAt) steps.push("cancel_order");
    // Tiny may have posted the stock by itself (account setting), so the reversal is owed even
    // when we never posted it; Tiny's reversal is a no-op when nothing was posted.
    if (!push.stockReturnedAt) steps.push("return_stock");
    if (push.receivablesPostedAt && !push.receivablesReversedAt) steps.push("reverse_receivables");
    return steps;
  }
  if (!isPaidMlStatus(mlStatus)) return steps;
  if (!push.stockPostedAt) steps.push("post_stock");
  if (invoiceOnPaid && !push.invoiceError) {
    if (push.invoiceId === null) steps.push("generate_invoice");
    if (!push.invoiceEmittedAt) steps.push("emit_invoice");
  }
  if (!push.receivablesPostedAt) steps.push("post_receivables");
  return steps;
}

/** Tiny's "already done" answers to a repeated posting: the state we wanted is there. */
function alreadyDone(error: unknown): boolean {
  return error instanceof TinyApiError && error.tinyStatus === 400 && /j[áa] lan[çc]ad/i.test(error.message);
}

function invoiceAlreadyExists(error: unknown): boolean {
  return error instanceof TinyApiError && error.tinyStatus === 400 && /j[áa] existe uma nota/i.test(error.message);
}

/** A definite refusal: retrying the same call cannot succeed until someone changes something. */
function isRefusal(error: unknown): error is TinyApiError {
  const status = error instanceof TinyApiError ? error.tinyStatus : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Tiny's message and every detail: a SEFAZ rejection's reason lives only in `detalhes`. */
function describe(error: unknown): string {
  const details = error instanceof TinyApiError ? error.tinyDetails.map((d) => `${d.path}: ${d.message}`) : [];
  const message = error instanceof Error ? error.message : String(error);
  return [message, ...details].join("; ").slice(0, 500);
}

export interface FollowUpDeps {
  api: TinyOrderApi;
  /** Counts the Tiny call and runs it. */
  counted: <T>(call: () => Promise<T>) => Promise<T>;
  /** Records a step's result under the push's lease and returns the row as stored. */
  checkpoint: (change: OrderPushChange) => Promise<TinyOrderPush>;
  now: () => Date;
}

export interface FollowUpOutcome {
  push: TinyOrderPush;
  /** A step Tiny refused; the seller sees it on the row and resends after fixing it. */
  refused: string | null;
}

/**
 * Runs the owed steps. Network errors, 5xx and 429 propagate (the caller's job retries, and
 * every step is safe to repeat). A refusal of the invoice is kept in invoice_error and the
 * other steps go on; a refusal of any other step stops here with the reason.
 */
export async function runFollowUps(deps: FollowUpDeps, push: TinyOrderPush, mlStatus: string, invoiceOnPaid: boolean): Promise<FollowUpOutcome> {
  const { api, counted, checkpoint, now } = deps;
  let current = push;
  for (const step of owedFollowUps(current, mlStatus, invoiceOnPaid)) {
    const orderId = current.tinyOrderId!;
    try {
      switch (step) {
        case "post_stock":
          await counted(() => api.postOrderStock(orderId)).catch(acceptAlreadyDone);
          current = await checkpoint({ stockPostedAt: now() });
          break;
        case "post_receivables":
          await counted(() => api.postOrderReceivables(orderId)).catch(acceptAlreadyDone);
          current = await checkpoint({ receivablesPostedAt: now() });
          break;
        case "generate_invoice":
          current = await checkpoint(await generateInvoice(deps, orderId));
          break;
        case "emit_invoice": {
          if (current.invoiceId === null) break;
          const invoiceId = current.invoiceId;
          const emitted = await counted(() => api.emitInvoice(invoiceId));
          const link = emitted.linkAcesso ?? (await counted(() => api.getInvoiceLink(invoiceId)));
          current = await checkpoint({ invoiceKey: emitted.chaveAcesso, invoiceLink: link, invoiceSituation: emitted.situacao ?? null, invoiceEmittedAt: now() });
          break;
        }
        case "cancel_order":
          await counted(() => api.setOrderSituation(orderId, 2));
          current = await checkpoint({
            tinyCancelledAt: now(),
            // Cancelling an authorised NF-e is a fiscal act with its own deadline and justification: the seller's call.
            ...(current.invoiceEmittedAt ? { lastError: "The ML order was cancelled after its invoice was authorised: cancel the NF-e in Tiny.", lastErrorAt: now() } : {}),
          });
          break;
        case "return_stock":
          await counted(() => api.reverseOrderStock(orderId));
          current = await checkpoint({ stockReturnedAt: now() });
          break;
        case "reverse_receivables":
          await counted(() => api.reverseOrderReceivables(orderId));
          current = await checkpoint({ receivablesReversedAt: now() });
          break;
      }
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const reason = `${step.replace(/_/g, " ")} refused by Tiny: ${describe(error)}`;
      if (step === "generate_invoice" || step === "emit_invoice") {
        current = await checkpoint({ invoiceError: reason, ...(step === "emit_invoice" ? { invoiceSituation: 5 } : {}) });
        continue;
      }
      current = await checkpoint({ lastError: reason, lastErrorAt: now(), failureReasons: [{ code: "step_refused", message: reason }] });
      return { push: current, refused: reason };
    }
  }
  return { push: current, refused: null };
}

function acceptAlreadyDone(error: unknown): void {
  if (!alreadyDone(error)) throw error;
}

/**
 * Generates the order's invoice. Tiny has no idempotency key here either: when the answer is
 * lost, or Tiny says the order already has one, the order itself names its invoice.
 */
async function generateInvoice(deps: FollowUpDeps, orderId: number): Promise<OrderPushChange> {
  const { api, counted } = deps;
  try {
    const generated = await counted(() => api.generateInvoice(orderId));
    return { invoiceId: generated.id, invoiceNumber: generated.numero === null || generated.numero === undefined ? null : String(generated.numero) };
  } catch (error) {
    if (isRefusal(error) && !invoiceAlreadyExists(error)) throw error;
    const order = await counted(() => api.getOrder(orderId));
    if (!order.idNotaFiscal) throw error;
    return { invoiceId: order.idNotaFiscal };
  }
}
