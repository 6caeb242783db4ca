import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

// Tiny's error body is ErrorDTO: {mensagem, detalhes?:[{campo, mensagem}]}. Every handler goes
// through these helpers so a client parsing errors meets one shape, as it would in production.

export interface ErrorDetail {
  campo: string;
  mensagem: string;
}

export class TinyError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly detalhes?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const notFound = (what = "Registro não encontrado"): TinyError => new TinyError(404, what);

export const validation = (detalhes: ErrorDetail[], mensagem = "Ocorreram erros de validação"): TinyError => new TinyError(400, mensagem, detalhes);

export function errorBody(err: TinyError): { mensagem: string; detalhes?: ErrorDetail[] } {
  return err.detalhes && err.detalhes.length > 0 ? { mensagem: err.message, detalhes: err.detalhes } : { mensagem: err.message };
}

export function errorResponse(c: Context, err: TinyError): Response {
  return c.json(errorBody(err), err.status);
}

const TYPE_NAMES: Record<string, string> = { number: "float", string: "string", boolean: "bool", object: "object", array: "array" };
// The PHP backend types ids and enums as int and money as float; the message names the PHP type.
const INT_FIELD = /^(id|id[A-Z]\w*|situacao|numero\w*|dias|tipos)$/;

function phpTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "stdClass";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function campoOf(path: PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

/** Zod issues → Tiny detalhes; the type message imitates the PHP wording the real API returns. */
export function zodDetails(error: z.ZodError, input: unknown): ErrorDetail[] {
  return error.issues.map((issue) => {
    const campo = campoOf(issue.path);
    if (issue.code === "invalid_type") {
      const got = valueAt(input, issue.path);
      if (got === undefined) return { campo, mensagem: `O campo '${campo}' é obrigatório` };
      const last = String(issue.path.at(-1) ?? "");
      const expected = issue.expected === "number" && INT_FIELD.test(last) ? "int" : (TYPE_NAMES[issue.expected] ?? issue.expected);
      return { campo, mensagem: `O tipo de dado '${phpTypeOf(got)}' não é válido para a propriedade '${campo}' do tipo '${expected}'` };
    }
    return { campo, mensagem: issue.message };
  });
}

export function parseJson(text: string): unknown {
  try {
    return text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw new TinyError(400, "JSON inválido no corpo da requisição");
  }
}

export function validateBody<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validation(zodDetails(parsed.error, raw));
  return parsed.data;
}

/** Reads and validates a JSON body; malformed JSON and schema failures both become 400 ErrorDTO. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  return validateBody(schema, parseJson(await c.req.text()));
}

export function pathId(c: Context, name: string): number {
  const raw = c.req.param(name) ?? "";
  if (!/^\d+$/.test(raw)) throw validation([{ campo: name, mensagem: `O parâmetro '${name}' deve ser um número inteiro` }]);
  return Number(raw);
}

export function queryInt(c: Context, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw validation([{ campo: name, mensagem: `O parâmetro '${name}' deve ser um número inteiro` }]);
  return Number(raw);
}

export function queryStr(c: Context, name: string): string | undefined {
  const raw = c.req.query(name);
  return raw === undefined || raw === "" ? undefined : raw;
}

export interface Page {
  limit: number;
  offset: number;
  orderBy: "asc" | "desc";
}

export const DEFAULT_LIMIT = 100;

export function readPage(c: Context, maxLimit: number): Page {
  const limit = queryInt(c, "limit") ?? DEFAULT_LIMIT;
  const offset = queryInt(c, "offset") ?? 0;
  const detalhes: ErrorDetail[] = [];
  if (limit < 1) detalhes.push({ campo: "limit", mensagem: "O parâmetro 'limit' deve ser maior que zero" });
  if (offset < 0) detalhes.push({ campo: "offset", mensagem: "O parâmetro 'offset' não pode ser negativo" });
  const orderRaw = c.req.query("orderBy");
  if (orderRaw !== undefined && orderRaw !== "asc" && orderRaw !== "desc") detalhes.push({ campo: "orderBy", mensagem: "Valores aceitos: asc, desc" });
  if (detalhes.length > 0) throw validation(detalhes);
  return { limit: Math.min(limit, maxLimit), offset, orderBy: orderRaw === "desc" ? "desc" : "asc" };
}

export interface Paginated<T> {
  itens: T[];
  paginacao: { limit: number; offset: number; total: number };
}

export function paginate<S, T>(rows: S[], page: Page, map: (row: S) => T): Paginated<T> {
  const ordered = page.orderBy === "desc" ? [...rows].reverse() : rows;
  return {
    itens: ordered.slice(page.offset, page.offset + page.limit).map(map),
    paginacao: { limit: page.limit, offset: page.offset, total: rows.length },
  };
}

/**
 * Filter + paginate in one pass without materialising every match: listing page 500 of 100k
 * products should not copy 100k rows. Descending order needs the full match list first.
 */
export function paginateWhere<S, T>(rows: Iterable<S>, keep: (row: S) => boolean, page: Page, map: (row: S) => T): Paginated<T> {
  if (page.orderBy === "desc") {
    const all: S[] = [];
    for (const row of rows) if (keep(row)) all.push(row);
    return paginate(all, page, map);
  }
  const itens: T[] = [];
  let total = 0;
  const end = page.offset + page.limit;
  for (const row of rows) {
    if (!keep(row)) continue;
    if (total >= page.offset && total < end) itens.push(map(row));
    total++;
  }
  return { itens, paginacao: { limit: page.limit, offset: page.offset, total } };
}

/** Repeated `marcadores=x&marcadores=y`; the PHP-style `marcadores[]` crashes the real API with a 500. */
export function queryList(c: Context, name: string): string[] | undefined {
  if (c.req.queries(`${name}[]`) !== undefined) throw new TinyError(500, "Internal Server Error");
  const all = c.req.queries(name);
  return all && all.length > 0 ? all.filter((v) => v !== "") : undefined;
}
