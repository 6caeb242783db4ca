/**
 * Turns an idempotency key into a BullMQ jobId. Hashing keeps ids short and free of the
 * characters BullMQ rejects (":" and all-digit ids), and gives the Worker the same
 * function should it ever want to predict a job's id. WebCrypto, so both runtimes agree.
 */
export async function jobIdFor(jobName: string, idempotencyKey: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${jobName}\n${idempotencyKey}`));
  const hex = Array.from(new Uint8Array(digest).subarray(0, 20), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${jobName}.${hex}`;
}
