import { scheduledJobs, type ScheduleProvider } from "#core/jobs/catalog";
import { errorFields, type Logger } from "#core/log";
import type { QueueRegistry } from "./registry";

/** The recurring jobs, as the catalog declares them (`schedule` on an entry); one BullMQ scheduler each. */
export const schedules = scheduledJobs.map(({ name, queue, everyMs, needs }) => ({ id: `scheduler:${name}`, queue, name, everyMs, needs }));

const retryMs = 30_000;

/**
 * Upserts every schedule this container can run (its provider is configured here); while Redis
 * is unreachable it keeps trying in the background. A schedule is never removed: another
 * container, configured for it, may have registered it.
 */
export async function startSchedulers(queues: QueueRegistry, log: Logger, configured: Record<ScheduleProvider, boolean>): Promise<void> {
  const runnable = schedules.filter((schedule) => schedule.needs === null || configured[schedule.needs]);
  const skipped = schedules.filter((schedule) => !runnable.includes(schedule)).map((s) => s.id);
  if (skipped.length) log.info("job schedulers skipped: their provider is not configured here", { schedulers: skipped });
  for (;;) {
    try {
      for (const schedule of runnable) {
        await queues[schedule.queue].upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.name, data: {} });
      }
      log.info("job schedulers registered", { schedulers: runnable.map((s) => s.id) });
      return;
    } catch (error) {
      log.warn("job schedulers not registered yet; retrying", { retryMs, ...errorFields(error) });
      await new Promise<void>((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }
}
