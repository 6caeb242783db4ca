import type { ObservedViolation } from "./scenario";

// Violations Prism reports against Tiny's own spec (2025-08, sha256 5c9a29eb…) that a faithful
// Tiny stand-in cannot avoid: either the real API deviates from its spec, or the spec contradicts
// itself. Each entry is named so a failing contract run says exactly what is new. Anything not
// matched here is a sandbox bug (or a real API change) and fails the contract test.

export interface KnownDeviation {
  id: string;
  /** Why this is expected, and the source. */
  reason: string;
  matches(v: ObservedViolation): boolean;
}

const UNDECLARED_STATUS = /Unable to match the returned status code/;
const loc = (v: ObservedViolation) => v.location.join(".");

/** Fields typed `string` with an integer `enum` in the spec: no JSON value can satisfy both. */
function stringTypedIntEnum(v: ObservedViolation, fields: string[]): boolean {
  if (v.code !== "enum" && v.code !== "type") return false;
  const field = v.location.at(-1) ?? "";
  return v.location[0] === "response" && v.location[1] === "body" && fields.includes(field);
}

export const KNOWN_DEVIATIONS: KnownDeviation[] = [
  {
    id: "pedidos-create-201",
    reason: "POST /pedidos answers 201 Created in the real API; the spec lists only 200 (tiny-api.md §7.4, two integrators).",
    matches: (v) => v.method === "POST" && v.route === "/pedidos" && v.status === 201 && UNDECLARED_STATUS.test(v.message),
  },
  {
    id: "pedidos-duplicate-409",
    reason: "A repeated POST /pedidos payload is de-duplicated with 409 {mensagem:'Esse registro já existe'}; the spec lists no 409 (tiny-api.md §7.7).",
    matches: (v) => v.method === "POST" && v.route === "/pedidos" && v.status === 409 && UNDECLARED_STATUS.test(v.message),
  },
  {
    id: "quota-429",
    reason: "Any route answers 429 with an empty body once the account's per-minute quota is spent; the spec declares no 429 (tiny-api.md §4).",
    matches: (v) => v.status === 429 && UNDECLARED_STATUS.test(v.message),
  },
  {
    id: "spec-bug-produto-origem",
    reason: "Spec bug: ObterProdutoModelResponse.origem is `type: string` with an integer enum, so no value validates.",
    matches: (v) => v.method === "GET" && v.route === "/produtos/{idProduto}" && stringTypedIntEnum(v, ["origem"]),
  },
  {
    id: "spec-bug-notas-situacao-finalidade",
    reason: "Spec bug: nota `situacao` and `finalidade` are `type: string` with integer enums in GET /notas and GET /notas/{idNota}.",
    matches: (v) => v.method === "GET" && (v.route === "/notas" || v.route === "/notas/{idNota}") && stringTypedIntEnum(v, ["situacao", "finalidade"]),
  },
  {
    id: "spec-bug-pedidos-situacao-filter",
    reason: "Spec bug: the `situacao` query filter of GET /pedidos has an integer enum and no type, so every ?situacao=N is flagged.",
    matches: (v) => v.method === "GET" && v.route === "/pedidos" && loc(v) === "request.query.situacao" && v.code === "enum",
  },
  {
    id: "spec-bug-contatos-tipos-perfil",
    reason: "Spec bug of the same family: ListarTiposDeContatosModelResponse.perfilContato is `type: string` with an integer enum.",
    matches: (v) => v.method === "GET" && v.route === "/contatos/tipos" && stringTypedIntEnum(v, ["perfilContato"]),
  },
  {
    id: "spec-bug-lookup-enums",
    reason:
      'Spec bug of the same family in the registries: /formas-pagamento situacao, /formas-envio tipo/situacao and formasFrete[].tipoEntrega are `type: string` with integer enums; the real API sends strings ("1") [tiny-api.md §3.4].',
    matches: (v) =>
      v.method === "GET" &&
      ["/formas-pagamento", "/formas-pagamento/{idFormaPagamento}", "/formas-envio", "/formas-envio/{idFormaEnvio}"].includes(v.route) &&
      stringTypedIntEnum(v, ["situacao", "tipo", "tipoEntrega"]),
  },
];

export function classify(violations: ObservedViolation[]): { explained: Map<string, ObservedViolation[]>; unexplained: ObservedViolation[] } {
  const explained = new Map<string, ObservedViolation[]>();
  const unexplained: ObservedViolation[] = [];
  for (const v of violations) {
    const dev = KNOWN_DEVIATIONS.find((d) => d.matches(v));
    if (!dev) unexplained.push(v);
    else explained.set(dev.id, [...(explained.get(dev.id) ?? []), v]);
  }
  return { explained, unexplained };
}
