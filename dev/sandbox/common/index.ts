export * from "./clock";
export * from "./control";
export * from "./counters";
export * from "./faults";
export * from "./persistence";
export * from "./rng";
export * from "./server";
export * from "./webhooks";
