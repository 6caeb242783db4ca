import type { JobName } from "#core/jobs/catalog";
import { maintenanceProcessors } from "./maintenance/retention";
import { mlSyncProcessors } from "./mercadolibre/sync";
import { mlWebhookProcessors } from "./mercadolibre/webhook";
import { mlTokenProcessors } from "./mercadolibre/token-refresh";
import { tinyForwardProcessors } from "./tiny/forward";
import { tinyProcessors } from "./tiny/keepalive";
import { tinyOrderProcessors } from "./tiny/order-push";
import { tinyProductSyncProcessors } from "./tiny/product-sync";
import { tinyStockProcessors } from "./tiny/stock";
import type { Processors } from "./types";

/**
 * Catalog jobs whose processor has not been written yet. Their jobs are accepted and wait
 * in Redis; no Worker consumes a queue until one of its jobs has a processor.
 * Adding a job to the catalog without either a processor below or a name here does not
 * compile, and neither does adding a processor below while its name is still listed here.
 */
type PendingJobName = never;

export const processors: Omit<Processors, PendingJobName> = {
  ...mlWebhookProcessors,
  ...mlSyncProcessors,
  ...mlTokenProcessors,
  ...tinyProcessors,
  ...tinyProductSyncProcessors,
  ...tinyOrderProcessors,
  ...tinyForwardProcessors,
  ...tinyStockProcessors,
  ...maintenanceProcessors,
};

// Fails to compile if a pending name is not (or no longer) a catalog job.
const pendingAreCatalogJobs: PendingJobName extends JobName ? true : never = true;
void pendingAreCatalogJobs;
