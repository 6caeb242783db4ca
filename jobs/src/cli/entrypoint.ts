/**
 * The jobs image's entrypoint (`docker run autoecom-jobs [command]`). One bundle holds every
 * command, so the image ships one file; each command's module runs only when it is chosen.
 */
const commands = {
  serve: () => import("../main"),
  migrate: () => import("./migrate"),
  "tokens:rotate": () => import("./rotate-tokens"),
} as const;

const name = process.argv[2] ?? "serve";
if (!Object.hasOwn(commands, name)) {
  console.error(`Unknown command "${name}". Commands: ${Object.keys(commands).join(", ")} (default: serve).`);
  process.exit(2);
}
await commands[name as keyof typeof commands]();

// A module, for the top-level await; it exports nothing.
export {};
