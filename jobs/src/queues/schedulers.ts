import { scheduledJobs } from "../../../core/jobs/catalog";
import { errorFields, type Logger } from "../../../core/log";
import type { QueueRegistry } from "./registry";

/** The recurring jobs, as the catalog declares them (`schedule` on an entry); one BullMQ scheduler each. */
export const schedules = scheduledJobs.map(({ name, queue, everyMs }) => ({ id: `scheduler:${name}`, queue, name, everyMs }));

const retryMs = 30_000;

/** Upserts every schedule; while Redis is unreachable it keeps trying in the background. */
export async function startSchedulers(queues: QueueRegistry, log: Logger): Promise<void> {
  for (;;) {
    try {
      for (const schedule of schedules) {
        await queues[schedule.queue].upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.name, data: {} });
      }
      log.info("job schedulers registered", { schedulers: schedules.map((s) => s.id) });
      return;
    } catch (error) {
      log.warn("job schedulers not registered yet; retrying", { retryMs, ...errorFields(error) });
      await new Promise<void>((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }
}
