import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeDb } from "#db/client-node";
import { dropDatabase, ensureDatabase, migrateDatabase } from "#db/migrate";
import { tinyBuyerContacts, users } from "#db/schema";
import { errorFields } from "./log";
import { describeError, redactText, stackFrames } from "./redact";

const databaseUrl = `postgres://postgres@127.0.0.1:5432/autoecom_t_redact_${crypto.randomUUID().slice(0, 8)}`;
const email = "buyer.secret@example.com";
const passwordHash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
const cpf = "52998224725";
let node: ReturnType<typeof createNodeDb>;

beforeAll(async () => {
  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  node = createNodeDb(databaseUrl, { max: 2 });
  await node.db.insert(users).values({ email, passwordHash });
});

afterAll(async () => {
  await node?.close();
  await dropDatabase(databaseUrl);
});

async function failure(query: Promise<unknown>): Promise<Error> {
  const error = await query.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof Error)) throw new Error("the query was expected to fail");
  return error;
}

describe("describeError on a real failing query", () => {
  it("a duplicate user (node-postgres, the jobs driver): code and constraint only, no email or password hash", async () => {
    const error = await failure(node.db.insert(users).values({ email, passwordHash }));
    // What drizzle puts in the message, and what used to be logged as is.
    expect(error.message).toContain(email);
    expect(error.message).toContain(passwordHash);

    expect(describeError(error)).toBe("database query failed: 23505 unique_violation on users_email_key");
    const logged = JSON.stringify(errorFields(error));
    expect(logged).not.toContain(email);
    expect(logged).not.toContain(passwordHash);
    expect(logged).not.toContain("insert into");
    expect(stackFrames(error)).not.toContain(email);
  });

  it("a buyer contact keyed by CPF for an unknown Tiny account: the CPF stays out", async () => {
    const error = await failure(node.db.insert(tinyBuyerContacts).values({ tinyAccountId: crypto.randomUUID(), contactKey: `doc:${cpf}` }));
    expect(error.message).toContain(cpf);

    const logged = errorFields(error);
    expect(logged.error).toMatch(/^database query failed: 23503 foreign_key_violation on tiny_buyer_contacts_\w+$/);
    expect(JSON.stringify(logged)).not.toContain(cpf);
  });

  it("a value Postgres quotes in its own message (invalid uuid) is not repeated", async () => {
    const probe = "not-a-uuid-but-a@mail.example.com";
    const error = await failure(node.pool.query("select id from users where id = $1", [probe]));
    expect(error.message).toContain(probe);
    expect(describeError(error)).toBe("database query failed: 22P02 invalid_text_representation");
  });
});

describe("redactText", () => {
  it("masks emails", () => {
    expect(redactText("login failed for Ana.Souza+ml@example.com.br, retry")).toBe("login failed for [email], retry");
  });

  it("masks CPF and CNPJ, punctuated or bare, and the alphanumeric CNPJ", () => {
    expect(redactText("cpf 529.982.247-25 / 52998224725")).toBe("cpf [cpf] / [cpf]");
    expect(redactText("cnpj 11.222.333/0001-81 / 11222333000181")).toBe("cnpj [cnpj] / [cnpj]");
    expect(redactText("cnpj 12.ABC.345/01DE-35 / 12ABC34501DE35")).toBe("cnpj [cnpj] / [cnpj]");
  });

  it("keeps ids of the same length whose check digits are not a document's", () => {
    expect(redactText("shipment 44012345678, order 2000009713473608, item MLB1234567890")).toBe("shipment 44012345678, order 2000009713473608, item MLB1234567890");
  });

  it("masks bearer and JWT tokens, ML tokens, bcrypt hashes and long secrets", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    expect(redactText(`authorization: Bearer ${jwt}`)).toBe("authorization: Bearer [redacted]");
    expect(redactText(`upstash-signature ${jwt} refused`)).toBe("upstash-signature [jwt] refused");
    expect(redactText("token APP_USR-6092-3246532-cc3bb1de4ad7ac2bcf30d1b58ae4b5f7-1234567 expired")).toBe("token APP_USR-[redacted] expired");
    expect(redactText("code TG-66e1f8b5c4a9e40001a2b3c4-1234567 used")).toBe("code TG-[redacted] used");
    expect(redactText(`hash ${passwordHash}`)).toBe("hash [bcrypt]");
    expect(redactText("key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")).toBe("key [secret]");
    expect(redactText("POST /webhooks/tinyerp/Zx3_kP9qL2mN8vB4cD7fG1hJ5sT0wY6eR2uI9oA3pQ4 failed")).toBe("POST /webhooks/tinyerp/[secret] failed");
    expect(redactText('GET /x?access_token=abc123&limit=5 and {"refresh_token": "r-1"}')).toBe('GET /x?access_token=[redacted]&limit=5 and {"refresh_token": "[redacted]"}');
  });

  it("keeps what diagnoses a failure: UUIDs, constraint names, ML resources", () => {
    const text = 'event 0193a4b2-1c2d-7e3f-8a9b-0123456789ab: constraint "tiny_order_pushes_created_has_id" on /orders/2000009713473608';
    expect(redactText(text)).toBe(text);
  });
});

describe("describeError and stackFrames", () => {
  it("masks any error's message, and non-errors too", () => {
    expect(describeError(new Error("no contact for 529.982.247-25 (ana@example.com)"))).toBe("no contact for [cpf] ([email])");
    expect(describeError("ana@example.com")).toBe("[email]");
  });

  it("keeps a stack's frames only", () => {
    const error = new Error("failed for ana@example.com");
    const frames = stackFrames(error)!;
    expect(frames).toMatch(/^\s+at /);
    expect(frames).not.toContain("ana@example.com");
    expect(stackFrames("not an error")).toBeUndefined();
  });
});
