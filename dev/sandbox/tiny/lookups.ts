import type { Hono } from "hono";
import type { TinyContext } from "./context";
import { notFound, paginate, pathId, queryInt, queryStr, readPage } from "./http";
import type { NamedRef } from "./state";

// Read-only registries an integration needs to build valid orders: payment forms, shipping
// methods (with their freight options) and marketplace intermediaries. Enum-like values are sent
// as strings ("1"), as the real API does and as the spec's declared type says.

const matchesName = (nome: string | undefined) => (row: NamedRef) => nome === undefined || row.nome.toLocaleLowerCase("pt-BR").includes(nome);

export function registerLookupRoutes(api: Hono, ctx: TinyContext): void {
  const lookups = () => ctx.state.lookups;

  api.get("/formas-pagamento", (c) => {
    const page = readPage(c, ctx.settings.maxLimit);
    const nome = queryStr(c, "nome")?.toLocaleLowerCase("pt-BR");
    const situacao = queryInt(c, "situacao");
    const rows = lookups().formasPagamento.filter((f) => matchesName(nome)(f) && (situacao === undefined || f.situacao === situacao));
    return c.json(paginate(rows, page, (f) => ({ id: f.id, nome: f.nome, situacao: String(f.situacao) })));
  });

  api.get("/formas-pagamento/:idFormaPagamento", (c) => {
    const id = pathId(c, "idFormaPagamento");
    const f = lookups().formasPagamento.find((x) => x.id === id);
    if (!f) throw notFound("Forma de pagamento não encontrada");
    return c.json({ id: f.id, nome: f.nome, situacao: String(f.situacao) });
  });

  const envioView = (f: ReturnType<typeof lookups>["formasEnvio"][number]) => ({
    id: f.id,
    nome: f.nome,
    tipo: String(f.tipo),
    situacao: String(f.situacao),
    gatewayLogistico: { id: null, nome: null },
  });

  api.get("/formas-envio", (c) => {
    const page = readPage(c, ctx.settings.maxLimit);
    const nome = queryStr(c, "nome")?.toLocaleLowerCase("pt-BR");
    const tipo = queryInt(c, "tipo");
    const situacao = queryInt(c, "situacao");
    const rows = lookups().formasEnvio.filter((f) => matchesName(nome)(f) && (tipo === undefined || f.tipo === tipo) && (situacao === undefined || f.situacao === situacao));
    return c.json(paginate(rows, page, envioView));
  });

  api.get("/formas-envio/:idFormaEnvio", (c) => {
    const id = pathId(c, "idFormaEnvio");
    const f = lookups().formasEnvio.find((x) => x.id === id);
    if (!f) throw notFound("Forma de envio não encontrada");
    return c.json({ ...envioView(f), formasFrete: f.formasFrete.map((x) => ({ ...x, tipoEntrega: String(x.tipoEntrega) })) });
  });

  const intermediadorView = (i: ReturnType<typeof lookups>["intermediadores"][number]) => ({ id: i.id, nome: i.nome, cnpj: i.cnpj, canalVenda: "mercadolivre" });

  api.get("/intermediadores", (c) => {
    const page = readPage(c, ctx.settings.maxLimit);
    const nome = queryStr(c, "nome")?.toLocaleLowerCase("pt-BR");
    const cnpj = queryStr(c, "cnpj")?.replace(/\D/g, "");
    const rows = lookups().intermediadores.filter((i) => matchesName(nome)(i) && (cnpj === undefined || i.cnpj.replace(/\D/g, "") === cnpj));
    return c.json(paginate(rows, page, intermediadorView));
  });

  api.get("/intermediadores/:idIntermediador", (c) => {
    const id = pathId(c, "idIntermediador");
    const i = lookups().intermediadores.find((x) => x.id === id);
    if (!i) throw notFound("Intermediador não encontrado");
    return c.json(intermediadorView(i));
  });
}
