import { env } from "cloudflare:test";
import { inject } from "vitest";

const bindings = env as unknown as Record<string, string>;
const qstashAuth = { authorization: `Bearer ${bindings.QSTASH_TOKEN}` };

/** The jobs ingress URL QStash delivers a job to. */
export const jobUrl = (job: string) => `${bindings.JOBS_PUBLIC_URL}/qstash/${job}`;

/** A message's body from the QStash stand-in: pending, or dead-lettered (nothing listens at JOBS_PUBLIC_URL). */
async function messageBody(messageId: string): Promise<Record<string, unknown>> {
  const base = inject("stackUrls").qstash;
  const pending = await fetch(`${base}/v2/messages/${messageId}`, { headers: qstashAuth });
  if (pending.ok) return JSON.parse(((await pending.json()) as { body: string }).body) as Record<string, unknown>;
  await pending.body?.cancel();
  const dlq = await fetch(`${base}/v2/dlq?messageId=${messageId}`, { headers: qstashAuth });
  const [entry] = ((await dlq.json()) as { messages: Array<{ body: string }> }).messages;
  if (!entry) throw new Error(`QStash message ${messageId} is neither pending nor dead-lettered`);
  return JSON.parse(entry.body) as Record<string, unknown>;
}

/** What reached QStash for this job whose payload matches, oldest first: the tests' view of "was it published". */
export async function published(job: string, matches: (payload: Record<string, unknown>) => boolean): Promise<Array<{ messageId: string; payload: Record<string, unknown> }>> {
  const query = new URLSearchParams({ url: jobUrl(job), state: "CREATED", count: "1000" });
  const response = await fetch(`${inject("stackUrls").qstash}/v2/events?${query}`, { headers: qstashAuth });
  const events = ((await response.json()) as { events: Array<{ messageId: string }> }).events.reverse();
  const out = [];
  for (const event of events) {
    const payload = await messageBody(event.messageId);
    if (matches(payload)) out.push({ messageId: event.messageId, payload });
  }
  return out;
}
