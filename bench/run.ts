/** `npm run bench -- <name>`: runs one benchmark (or all) and updates docs/benchmarks.md. */
const suites: Record<string, () => Promise<unknown>> = {
  auth: () => import("./auth"),
  "flash-sale": () => import("./flash-sale"),
  "ml-read": () => import("./ml-read"),
  "ml-sync": () => import("./ml-sync"),
  "tiny-orders": () => import("./tiny-orders"),
  "tiny-products": () => import("./tiny-products"),
  "tiny-stock": () => import("./tiny-stock"),
  webhooks: () => import("./webhooks"),
  "webhooks-pipeline": () => import("./webhooks-pipeline"),
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(suites);
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(suites).join(", ")}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  await suite();
}
export {};
