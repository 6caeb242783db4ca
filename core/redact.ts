/**
 * What may be said about an error where people other than its cause read it: log lines,
 * `webhook_events.last_error` (shown to the seller), Bull Board. Error messages quote whatever
 * their code had at hand: drizzle's DrizzleQueryError carries the SQL and every parameter
 * (emails, bcrypt hashes, buyers' CPFs), Postgres quotes offending values, fetch failures quote
 * URLs with tokens. Everything below errs toward hiding.
 */

/** SQLSTATE names (Postgres appendix A) of the failures this app can meet; others show the bare code. */
const sqlStateNames: Record<string, string> = {
  "08000": "connection_exception",
  "08003": "connection_does_not_exist",
  "08006": "connection_failure",
  "22001": "string_data_right_truncation",
  "22003": "numeric_value_out_of_range",
  "22007": "invalid_datetime_format",
  "22P02": "invalid_text_representation",
  "23502": "not_null_violation",
  "23503": "foreign_key_violation",
  "23505": "unique_violation",
  "23514": "check_violation",
  "23P01": "exclusion_violation",
  "25P02": "in_failed_sql_transaction",
  "40001": "serialization_failure",
  "40P01": "deadlock_detected",
  "42501": "insufficient_privilege",
  "42601": "syntax_error",
  "42703": "undefined_column",
  "42P01": "undefined_table",
  "53300": "too_many_connections",
  "55P03": "lock_not_available",
  "57014": "query_canceled",
  "57P01": "admin_shutdown",
};

/** node-postgres' DatabaseError and Neon's NeonDbError carry the same Postgres error fields. */
interface PostgresErrorFields {
  code: string;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
}

function isPostgresError(value: unknown): value is PostgresErrorFields {
  if (typeof value !== "object" || value === null) return false;
  const { code } = value as { code?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && "severity" in value;
}

/** drizzle 0.45's DrizzleQueryError keeps the name "Error", so it is recognised by its shape. */
function isDrizzleQueryError(value: unknown): value is Error & { query: string; params: unknown[] } {
  return value instanceof Error && typeof (value as { query?: unknown }).query === "string" && Array.isArray((value as { params?: unknown }).params);
}

const identifier = (value: unknown) => (typeof value === "string" && /^[A-Za-z0-9_.]{1,128}$/.test(value) ? value : undefined);

/**
 * Code, condition name and the schema object involved, never Postgres' message or detail:
 * those quote values ("Key (email)=(…) already exists", "invalid input syntax for type uuid: …").
 */
function describePostgresError(error: PostgresErrorFields): string {
  const name = sqlStateNames[error.code];
  const table = identifier(error.table);
  const column = identifier(error.column);
  const object = identifier(error.constraint) ?? (table && column ? `${table}.${column}` : table);
  return `${error.code}${name ? ` ${name}` : ""}${object ? ` on ${object}` : ""}`;
}

function describeDatabaseFailure(cause: unknown): string {
  if (isPostgresError(cause)) return `database query failed: ${describePostgresError(cause)}`;
  // Not Postgres answering (a refused connection, a timeout): that message quotes no row, but may a host's credentials.
  if (cause instanceof Error) return `database query failed: ${redactText(cause.message)}`;
  return "database query failed";
}

/**
 * CPF and CNPJ check digits (mod 11 over descending weights): what tells a document number from
 * an id of the same length. Characters count as their code minus 48, which is how the
 * alphanumeric CNPJ (issued since July 2026) extends the rule; for digits it is their value.
 */
function checkDigitsValid(document: string, firstWeights: number[]): boolean {
  if (/^(\d)\1+$/.test(document)) return false;
  const values = [...document].map((char) => char.charCodeAt(0) - 48);
  const check = (weights: number[]) => {
    const remainder = weights.reduce((total, weight, i) => total + weight * values[i]!, 0) % 11;
    return remainder < 2 ? 0 : 11 - remainder;
  };
  const secondWeights = [firstWeights[0]! + 1, ...firstWeights];
  return check(firstWeights) === values[firstWeights.length] && check(secondWeights) === values[secondWeights.length];
}

const cpfWeights = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const cnpjWeights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A long run of token characters is a secret when it mixes letters and digits; our UUIDs are ids, kept readable. */
function secretLike(run: string): boolean {
  const rest = run.replace(uuid, "");
  return rest.length >= 32 && /\d/.test(rest) && /[A-Za-z]/.test(rest);
}

type Replacement = string | ((match: string) => string);

/**
 * In order: whole tokens first, so a JWT or an ML token is not half-eaten by the generic patterns.
 * Bare digit runs are masked only when their check digits are a CPF's or CNPJ's: ML shipment ids
 * also have 11 digits and must stay readable. Written with punctuation they are always masked.
 */
const masks: Array<[RegExp, Replacement]> = [
  [/\b(bearer)\s+[A-Za-z0-9._~+/-]{8,}=*/gi, "$1 [redacted]"],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?/g, "[jwt]"],
  [/\b(APP_USR|TG)-[A-Za-z0-9-]+/g, "$1-[redacted]"],
  [/\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}/g, "[bcrypt]"],
  [/\b([A-Za-z_]*(?:token|secret|password|signature))=[^&\s"',;]+/gi, "$1=[redacted]"],
  [/("[A-Za-z_]*(?:token|secret|password)"\s*:\s*)"[^"]*"/gi, '$1"[redacted]"'],
  [/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, "[email]"],
  [/\b[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}\/[0-9A-Z]{4}-\d{2}\b/g, "[cnpj]"],
  [/\b\d{3}\.\d{3}\.\d{3}-\d{2}\b/g, "[cpf]"],
  [/\b[0-9A-Z]{12}\d{2}\b/g, (run) => (checkDigitsValid(run, cnpjWeights) ? "[cnpj]" : run)],
  [/\b\d{11}\b/g, (run) => (checkDigitsValid(run, cpfWeights) ? "[cpf]" : run)],
  [/\b[0-9a-f]{32,}\b/gi, "[secret]"],
  [/[A-Za-z0-9_+-]{32,}={0,2}/g, (run) => (secretLike(run) ? "[secret]" : run)],
];

/** Masks emails, CPF/CNPJ, bearer and JWT tokens, ML tokens, bcrypt hashes and long hex/base64 secrets in free text. */
export function redactText(text: string): string {
  let out = text;
  // Two calls because TypeScript has no overload of replace() taking the union.
  for (const [pattern, replacement] of masks) out = typeof replacement === "string" ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}

/**
 * The one safe description of an unknown error, for logs and stored error texts. A failed query
 * says that it failed with Postgres' code and constraint (`database query failed: 23505
 * unique_violation on users_email_key`), never its SQL or parameters; any other message is
 * masked by `redactText`.
 */
export function describeError(error: unknown): string {
  if (isDrizzleQueryError(error)) return describeDatabaseFailure(error.cause);
  if (isPostgresError(error)) return describeDatabaseFailure(error);
  if (error instanceof Error) return redactText(error.message);
  return redactText(String(error));
}

/** A stack's frames without its first lines, which repeat the unredacted message. */
export function stackFrames(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.stack) return undefined;
  return error.stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .join("\n");
}
