import { describe, expect, it } from "vitest";
import { commandFromPath, isBlocking, toCommand } from "./commands";
import { encodeReply } from "./encoding";

describe("encodeReply", () => {
  const reply = [Buffer.from("OK"), Buffer.from("test"), 3, null, [Buffer.from("é"), [Buffer.from([0xff])]]];

  it("base64-encodes strings at any depth, except the status OK", () => {
    expect(encodeReply(reply, true)).toEqual(["OK", "dGVzdA==", 3, null, ["w6k=", ["/w=="]]]);
  });

  it("returns UTF-8 text when base64 was not requested", () => {
    expect(encodeReply(reply.slice(0, 4), false)).toEqual(["OK", "test", 3, null]);
    expect(encodeReply(new Error("ERR nested"), false)).toBe("ERR nested");
  });
});

describe("commands", () => {
  it("upper-cases the name and stringifies scalar arguments", () => {
    expect(toCommand(["hgetall", "k"])).toEqual(["HGETALL", "k"]);
    expect(toCommand(["set", "k", 1, true])).toEqual(["SET", "k", "1", "true"]);
    expect(() => toCommand(["set", "k", { a: 1 }])).toThrow(/argument 2/);
  });

  it("builds path-style commands with the body as the last argument", () => {
    expect(commandFromPath("/set/a%2Fb", Buffer.from("v"))).toEqual(["SET", "a/b", "v"]);
  });

  it("knows which commands can block a connection", () => {
    expect(isBlocking(["BLPOP", "q", "0"])).toBe(true);
    expect(isBlocking(["XREAD", "block", "0", "STREAMS", "s", "$"])).toBe(true);
    expect(isBlocking(["XREAD", "STREAMS", "s", "0"])).toBe(false);
  });
});
