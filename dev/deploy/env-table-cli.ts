import { readFileSync, writeFileSync } from "node:fs";
import { withFreshTable } from "./env-table";

/** `npm run docs:env`: regenerates the variable table in docs/deploy.md. */
const page = new URL("../../docs/deploy.md", import.meta.url);
const before = readFileSync(page, "utf8");
const after = withFreshTable(before);
writeFileSync(page, after);
console.log(after === before ? "docs/deploy.md: the variable table was up to date" : "docs/deploy.md: variable table regenerated");
