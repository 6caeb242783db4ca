import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { baselineJobDefaults, queueNames, type QueueName } from "#core/jobs/catalog";
import { errorFields, type Logger } from "#core/log";
import { throttledWarn } from "../util/throttle";

export type QueueRegistry = Readonly<Record<QueueName, Queue>>;

/** One BullMQ Queue per catalog queue, all on the shared fail-fast producer connection. */
export function createQueues(options: { connection: Redis; prefix: string; log: Logger }): QueueRegistry {
  const warn = throttledWarn(options.log);
  const entries = queueNames.map((name) => {
    const queue = new Queue(name, {
      connection: options.connection,
      prefix: options.prefix,
      defaultJobOptions: baselineJobDefaults,
    });
    // Without a listener an emitted "error" would crash the process.
    queue.on("error", (error) => warn(name, "queue error", { queue: name, ...errorFields(error) }));
    return [name, queue] as const;
  });
  return Object.fromEntries(entries) as Record<QueueName, Queue>;
}

export async function closeQueues(queues: QueueRegistry): Promise<void> {
  await Promise.allSettled(Object.values(queues).map((queue) => queue.close()));
}
