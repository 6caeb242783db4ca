/**
 * The arithmetic accepted by `Upstash-Retry-Delay`: numbers, the variable `retried`,
 * + - * / %, parentheses and pow/sqrt/abs/exp/floor/ceil/round/min/max.
 * Parsed into a tree once at publish time so a bad header is a 400, never a crash
 * during delivery, and evaluated without eval/new Function.
 */
export type Expr =
  { kind: "num"; value: number } | { kind: "var"; name: string } | { kind: "neg"; arg: Expr } | { kind: "bin"; op: BinaryOp; left: Expr; right: Expr } | { kind: "call"; fn: FnName; args: Expr[] };

type BinaryOp = "+" | "-" | "*" | "/" | "%";
type FnName = keyof typeof FUNCTIONS;

const FUNCTIONS = {
  pow: { arity: 2, apply: (a: number[]) => Math.pow(a[0]!, a[1]!) },
  sqrt: { arity: 1, apply: (a: number[]) => Math.sqrt(a[0]!) },
  abs: { arity: 1, apply: (a: number[]) => Math.abs(a[0]!) },
  exp: { arity: 1, apply: (a: number[]) => Math.exp(a[0]!) },
  floor: { arity: 1, apply: (a: number[]) => Math.floor(a[0]!) },
  ceil: { arity: 1, apply: (a: number[]) => Math.ceil(a[0]!) },
  round: { arity: 1, apply: (a: number[]) => Math.round(a[0]!) },
  min: { arity: -1, apply: (a: number[]) => Math.min(...a) },
  max: { arity: -1, apply: (a: number[]) => Math.max(...a) },
} as const;

const VARIABLES = new Set(["retried"]);
const MAX_LENGTH = 500;
const MAX_DEPTH = 50;

export class ExprError extends Error {
  override name = "ExprError";
}

type Token = { type: "num"; value: number } | { type: "id"; value: string } | { type: "op"; value: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|([-+*/%(),]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new ExprError(`unexpected character at ${pos}: ${JSON.stringify(src.slice(pos).trimStart()[0])}`);
    if (m[1] !== undefined) tokens.push({ type: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ type: "id", value: m[2] });
    else tokens.push({ type: "op", value: m[3]! });
    pos = re.lastIndex;
  }
  return tokens;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    const expr = this.sum();
    const extra = this.tokens[this.i];
    if (extra) throw new ExprError(`unexpected ${JSON.stringify(extra.value)}`);
    return expr;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.tokens[this.i];
    return t?.type === "op" && ops.includes(t.value) ? t.value : undefined;
  }

  private expectOp(op: string): void {
    if (!this.peekOp(op)) throw new ExprError(`expected ${JSON.stringify(op)}`);
    this.i++;
  }

  private sum(): Expr {
    let left = this.product();
    for (let op = this.peekOp("+", "-"); op; op = this.peekOp("+", "-")) {
      this.i++;
      left = { kind: "bin", op: op as BinaryOp, left, right: this.product() };
    }
    return left;
  }

  private product(): Expr {
    let left = this.unary();
    for (let op = this.peekOp("*", "/", "%"); op; op = this.peekOp("*", "/", "%")) {
      this.i++;
      left = { kind: "bin", op: op as BinaryOp, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (++this.depth > MAX_DEPTH) throw new ExprError("expression nests too deeply");
    try {
      const op = this.peekOp("-", "+");
      if (!op) return this.primary();
      this.i++;
      const arg = this.unary();
      return op === "-" ? { kind: "neg", arg } : arg;
    } finally {
      this.depth--;
    }
  }

  private primary(): Expr {
    const t = this.tokens[this.i++];
    if (!t) throw new ExprError("unexpected end of expression");
    if (t.type === "num") return { kind: "num", value: t.value };
    if (t.type === "op") {
      if (t.value !== "(") throw new ExprError(`unexpected ${JSON.stringify(t.value)}`);
      const inner = this.sum();
      this.expectOp(")");
      return inner;
    }
    if (this.peekOp("(")) return this.call(t.value);
    if (!VARIABLES.has(t.value)) throw new ExprError(`unknown variable ${JSON.stringify(t.value)}`);
    return { kind: "var", name: t.value };
  }

  private call(name: string): Expr {
    if (!Object.hasOwn(FUNCTIONS, name)) throw new ExprError(`unknown function ${JSON.stringify(name)}`);
    const fn = name as FnName;
    this.expectOp("(");
    const args: Expr[] = [];
    if (!this.peekOp(")")) {
      args.push(this.sum());
      while (this.peekOp(",")) {
        this.i++;
        args.push(this.sum());
      }
    }
    this.expectOp(")");
    const { arity } = FUNCTIONS[fn];
    if (arity === -1 ? args.length === 0 : args.length !== arity) {
      throw new ExprError(`${fn}() takes ${arity === -1 ? "at least one argument" : `${arity} argument(s)`}`);
    }
    return { kind: "call", fn, args };
  }
}

export function parseExpr(src: string): Expr {
  if (src.length > MAX_LENGTH) throw new ExprError(`expression longer than ${MAX_LENGTH} characters`);
  const tokens = tokenize(src);
  if (tokens.length === 0) throw new ExprError("empty expression");
  return new Parser(tokens).parse();
}

export function evaluate(expr: Expr, vars: Readonly<Record<string, number>>): number {
  switch (expr.kind) {
    case "num":
      return expr.value;
    case "var": {
      const value = vars[expr.name];
      if (value === undefined) throw new ExprError(`variable ${expr.name} has no value`);
      return value;
    }
    case "neg":
      return -evaluate(expr.arg, vars);
    case "call":
      return FUNCTIONS[expr.fn].apply(expr.args.map((a) => evaluate(a, vars)));
    case "bin": {
      const l = evaluate(expr.left, vars);
      const r = evaluate(expr.right, vars);
      if (expr.op === "+") return l + r;
      if (expr.op === "-") return l - r;
      if (expr.op === "*") return l * r;
      if (expr.op === "/") return l / r;
      return l % r;
    }
  }
}
