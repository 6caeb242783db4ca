export * from "./users";
export * from "./auth";
export * from "./ml-accounts";
export * from "./ml-data";
export * from "./webhooks";
export * from "./tiny";
export * from "./ml-sync";
export * from "./tiny-orders";
