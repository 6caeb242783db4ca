/**
 * ML order statuses that mean the money is in: the sale is final unless it is later cancelled.
 * Forwarding to Tiny starts on them, and the Tiny follow-ups post the sale's stock on them.
 */
export const paidMlOrderStatuses = ["paid", "partially_refunded"] as const;

const paid = new Set<string>(paidMlOrderStatuses);

export const isPaidMlStatus = (status: string) => paid.has(status);
export const isCancelledMlStatus = (status: string) => status === "cancelled";
