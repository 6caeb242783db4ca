import { readFileSync } from "node:fs";
import { SPEC_PATH } from "./prism";

// Our response models are named after the spec's components; this says which of their fields the
// component does not declare (through allOf too), so a model cannot invent or misspell a field.

interface SchemaObject {
  properties?: Record<string, unknown>;
  allOf?: Array<{ $ref?: string; properties?: Record<string, unknown> }>;
}

const schemas = (JSON.parse(readFileSync(SPEC_PATH, "utf8")) as { components: { schemas: Record<string, SchemaObject> } }).components.schemas;

function declaredFields(component: string): Set<string> {
  const schema = schemas[component];
  if (!schema) throw new Error(`${component} is not a component of Tiny's spec`);
  const out = new Set(Object.keys(schema.properties ?? {}));
  for (const part of schema.allOf ?? []) {
    if (part.$ref) for (const key of declaredFields(part.$ref.split("/").at(-1)!)) out.add(key);
    for (const key of Object.keys(part.properties ?? {})) out.add(key);
  }
  return out;
}

/** "Component: field, field" for every model naming a field its component does not declare. */
export function undeclaredFields(models: Record<string, { shape: Record<string, unknown> }>): string[] {
  return Object.entries(models).flatMap(([component, model]) => {
    const declared = declaredFields(component);
    const extra = Object.keys(model.shape).filter((field) => !declared.has(field));
    return extra.length > 0 ? [`${component}: ${extra.join(", ")}`] : [];
  });
}
