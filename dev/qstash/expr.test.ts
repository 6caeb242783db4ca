import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./backoff";
import { evaluate, parseExpr } from "./expr";

const run = (src: string, retried = 0) => evaluate(parseExpr(src), { retried });

describe("retry-delay expressions", () => {
  it("evaluates the examples from the QStash docs", () => {
    expect(run("1000")).toBe(1000);
    expect(run("1000 * (1 + retried)", 2)).toBe(3000);
    expect(run("pow(2, retried) * 1000", 3)).toBe(8000);
    expect(run("max(10, pow(2, retried))", 1)).toBe(10);
  });

  it("follows arithmetic precedence and unary minus", () => {
    expect(run("2 + 3 * 4")).toBe(14);
    expect(run("(2 + 3) * 4")).toBe(20);
    expect(run("10 - 4 - 3")).toBe(3);
    expect(run("-2 * -3")).toBe(6);
    expect(run("7 % 4 + 20 / 8")).toBe(5.5);
    expect(run("1.5e3 + .5")).toBe(1500.5);
  });

  it("supports every documented function", () => {
    expect(run("sqrt(16) + abs(-2) + floor(1.9) + ceil(1.1) + round(2.5)")).toBe(4 + 2 + 1 + 2 + 3);
    expect(run("exp(0) + min(3, 1, 2) + max(retried, 4)", 9)).toBe(1 + 1 + 9);
  });

  it.each([
    ["", "empty expression"],
    ["1 +", "unexpected end"],
    ["(1 + 2", 'expected ")"'],
    ["1 2", "unexpected 2"],
    ["foo", "unknown variable"],
    ["process.exit(1)", "unexpected character"],
    ["constructor(1)", "unknown function"],
    ["pow(2)", "takes 2 argument"],
    ["min()", "at least one argument"],
    ["1; 2", "unexpected character"],
    ["`1`", "unexpected character"],
    ["-".repeat(60) + "1", "nests too deeply"],
    ["1+".repeat(300) + "1", "longer than"],
  ])("rejects %j", (src, message) => {
    expect(() => parseExpr(src)).toThrow(message);
  });
});

describe("retryDelayMs", () => {
  it("scales QStash's default backoff min(86400, e^(2.5n)) s with n = retried + 1", () => {
    expect(retryDelayMs(0, undefined, 1)).toBe(Math.round(Math.exp(2.5) * 1000));
    expect(retryDelayMs(1, undefined, 0.001)).toBe(Math.round(Math.exp(5)));
    expect(retryDelayMs(10, undefined, 1)).toBe(86_400_000);
  });

  it("honours an explicit expression unscaled, clamped to [0, 1 day]", () => {
    const delay = (src: string) => ({ source: src, expr: parseExpr(src) });
    expect(retryDelayMs(2, delay("100 * retried"), 0.001)).toBe(200);
    expect(retryDelayMs(0, delay("-5"), 1)).toBe(0);
    expect(retryDelayMs(0, delay("pow(10, 12)"), 1)).toBe(86_400_000);
  });

  it("falls back to the default backoff when the expression is not a finite number", () => {
    const bad = { source: "sqrt(-1)", expr: parseExpr("sqrt(-1)") };
    expect(retryDelayMs(0, bad, 1)).toBe(retryDelayMs(0, undefined, 1));
  });
});
