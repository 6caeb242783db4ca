/**
 * The MercadoLibre notification topics we handle (mercadolibre-api.md §5), read by both the
 * Worker's edge (which drops any other topic before publishing) and the `ml.webhook` processor,
 * so the two can never disagree about what is accepted.
 */

/** Topics whose `resource` names something we GET and store. */
export const mlFetchedTopics = ["orders_v2", "items", "questions", "claims", "post_purchase", "shipments"] as const;
/** Topics we only record as events: nothing of theirs is stored yet. */
export const mlRecordedTopics = ["messages", "payments"] as const;
export const mlHandledTopics = [...mlFetchedTopics, ...mlRecordedTopics] as const;

const isIn = (topics: readonly string[]) => (topic: string) => topics.includes(topic);
export const isMlFetchedTopic = isIn(mlFetchedTopics);
export const isMlRecordedTopic = isIn(mlRecordedTopics);
export const isMlHandledTopic = isIn(mlHandledTopics);
