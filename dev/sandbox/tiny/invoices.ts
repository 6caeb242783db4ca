import type { Hono } from "hono";
import { z } from "zod";
import type { FaultInjector } from "../common/faults";
import { contactRef } from "./contacts";
import type { TinyContext } from "./context";
import { isDate, spDate, spDateTime } from "./dates";
import { launchInvoiceReceivables } from "./finance";
import { TinyError, notFound, paginate, pathId, queryInt, queryList, queryStr, readBody, readPage, validation, type ErrorDetail } from "./http";
import { allocateId, round, type Invoice, type Order, type TinyState } from "./state";
import { launchOrderStock } from "./stock";

// /notas (NF-e). Emission is simulated: authorisation always succeeds unless a fault rule with
// `extra.sefazRejeicao` matches, which turns the next emission into a SEFAZ rejection.

export const NOTA_SITUACOES: Record<number, string> = {
  1: "Pendente",
  2: "Emitida",
  3: "Cancelada",
  4: "Enviada - Aguardando recibo",
  5: "Rejeitada",
  6: "Autorizada",
  7: "Emitida DANFE",
  8: "Registrada",
  9: "Enviada - Aguardando protocolo",
  10: "Denegada",
};

const UF_CODES: Record<string, string> = { SP: "35", RJ: "33", MG: "31", PR: "41", RS: "43", SC: "42", BA: "29" };

/** 44-digit access key with a valid mod-11 check digit, as SEFAZ validates it. */
export function accessKey(state: TinyState, nota: Invoice, modelo: number, emittedAt: string): string {
  const uf = UF_CODES[state.account.endereco.uf] ?? "35";
  const aamm = emittedAt.slice(2, 4) + emittedAt.slice(5, 7);
  const code = String(nota.id % 100_000_000).padStart(8, "0");
  const base = `${uf}${aamm}${state.account.cnpj}${modelo}${String(nota.serie).padStart(3, "0")}${String(nota.numero).padStart(9, "0")}1${code}`;
  let sum = 0;
  let weight = 2;
  for (let i = base.length - 1; i >= 0; i--) {
    sum += Number(base[i]) * weight;
    weight = weight === 9 ? 2 : weight + 1;
  }
  const r = sum % 11;
  return `${base}${r < 2 ? 0 : 11 - r}`;
}

export function getInvoice(state: TinyState, id: number): Invoice {
  const n = state.invoices.get(id);
  if (!n) throw notFound("Nota fiscal não encontrada");
  return n;
}

export function generateInvoiceForOrder(ctx: TinyContext, order: Order, modelo: number): Invoice {
  const { state } = ctx;
  if (order.situacao === 2) throw new TinyError(400, "Não é possível gerar nota fiscal para um pedido cancelado");
  const existing = order.idNotaFiscal ? state.invoices.get(order.idNotaFiscal) : undefined;
  if (existing && existing.situacao !== 3) throw new TinyError(400, "Já existe uma nota fiscal gerada para este pedido");
  const now = ctx.clock.now();
  const valorProdutos = round(
    order.itens.reduce((n, i) => n + i.quantidade * i.valorUnitario, 0),
    2,
  );
  const nota: Invoice = {
    id: allocateId(state),
    numero: state.nextNumeroNota++,
    serie: 1,
    modelo,
    tipo: "S",
    situacao: 1,
    finalidade: 1,
    chaveAcesso: "",
    dataEmissao: spDate(now),
    dataInclusao: spDateTime(now),
    idPedido: order.id,
    idContato: order.idContato,
    valorProdutos,
    valorFrete: order.valorFrete,
    valorDesconto: order.valorDesconto,
    valor: round(valorProdutos + order.valorFrete + order.valorOutrasDespesas - order.valorDesconto, 2),
    itens: order.itens.map((i) => {
      const p = state.products.get(i.produtoId);
      return {
        idProduto: i.produtoId,
        codigo: i.sku,
        descricao: i.descricao,
        unidade: p?.unidade ?? "UN",
        quantidade: i.quantidade,
        valorUnitario: i.valorUnitario,
        valorTotal: round(i.quantidade * i.valorUnitario, 2),
        cfop: "5102",
      };
    }),
    marcadores: [],
    xml: "",
  };
  state.invoices.set(nota.id, nota);
  order.idNotaFiscal = nota.id;
  order.situacao = 1;
  order.dataFaturamento = spDate(now);
  order.dataAtualizacao = spDateTime(now);
  ctx.reservations.invalidate();
  ctx.changed();
  ctx.events.orderUpdated(order);
  return nota;
}

function danfeUrl(ctx: TinyContext, nota: Invoice): string {
  return `${ctx.settings.baseUrl}/_sandbox/danfe/${nota.id}`;
}

function buildXml(state: TinyState, nota: Invoice): string {
  const cli = state.contacts.get(nota.idContato);
  const items = nota.itens
    .map(
      (i, n) =>
        `<det nItem="${n + 1}"><prod><cProd>${esc(i.codigo)}</cProd><xProd>${esc(i.descricao)}</xProd><CFOP>${i.cfop}</CFOP><uCom>${esc(i.unidade)}</uCom><qCom>${i.quantidade.toFixed(4)}</qCom><vUnCom>${i.valorUnitario.toFixed(2)}</vUnCom><vProd>${i.valorTotal.toFixed(2)}</vProd></prod></det>`,
    )
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?><nfeProc versao="4.00" xmlns="http://www.portalfiscal.inf.br/nfe"><NFe><infNFe Id="NFe${nota.chaveAcesso}" versao="4.00">` +
    `<ide><serie>${nota.serie}</serie><nNF>${nota.numero}</nNF><dhEmi>${nota.dataEmissao}</dhEmi><tpNF>1</tpNF><finNFe>${nota.finalidade}</finNFe></ide>` +
    `<emit><CNPJ>${state.account.cnpj}</CNPJ><xNome>${esc(state.account.razaoSocial)}</xNome></emit>` +
    `<dest><xNome>${esc(cli?.nome ?? "")}</xNome><CPF>${esc((cli?.cpfCnpj ?? "").replace(/\D/g, ""))}</CPF></dest>${items}` +
    `<total><ICMSTot><vProd>${nota.valorProdutos.toFixed(2)}</vProd><vFrete>${nota.valorFrete.toFixed(2)}</vFrete><vDesc>${nota.valorDesconto.toFixed(2)}</vDesc><vNF>${nota.valor.toFixed(2)}</vNF></ICMSTot></total>` +
    `</infNFe></NFe><protNFe versao="4.00"><infProt><chNFe>${nota.chaveAcesso}</chNFe><cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe></nfeProc>`
  );
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export interface EmitResult {
  nota: Invoice;
  rejected: string | null;
}

export function emitInvoice(ctx: TinyContext, nota: Invoice, faults?: FaultInjector, path = ""): EmitResult {
  if (nota.situacao === 6 || nota.situacao === 7) return { nota, rejected: null };
  if (nota.situacao === 3) throw new TinyError(400, "A nota fiscal está cancelada");
  const rule = faults?.rulesFor(ctx.state.account.id, "POST", path).find((r) => typeof r.extra?.sefazRejeicao === "string");
  if (rule && faults) {
    faults.consume(rule);
    nota.situacao = 5;
    ctx.changed();
    return { nota, rejected: String(rule.extra?.sefazRejeicao) };
  }
  const now = ctx.clock.now();
  nota.dataEmissao = spDate(now);
  nota.chaveAcesso = accessKey(ctx.state, nota, nota.modelo, spDate(now));
  nota.situacao = 6;
  nota.xml = buildXml(ctx.state, nota);
  ctx.changed();
  return { nota, rejected: null };
}

function baseView(ctx: TinyContext, n: Invoice) {
  const { state } = ctx;
  const order = n.idPedido !== null ? state.orders.get(n.idPedido) : undefined;
  const cli = state.contacts.get(n.idContato);
  return {
    id: n.id,
    // The spec types situacao as a string holding an integer enum (a spec bug); the declared type is sent.
    situacao: String(n.situacao),
    tipo: n.tipo,
    numero: String(n.numero).padStart(6, "0"),
    serie: String(n.serie),
    chaveAcesso: n.chaveAcesso,
    dataEmissao: n.dataEmissao,
    cliente: cli ? contactRef(cli) : { id: n.idContato },
    enderecoEntrega: order ? { ...order.enderecoEntrega } : cli ? { ...cli.endereco, nomeDestinatario: cli.nome, cpfCnpj: cli.cpfCnpj, tipoPessoa: cli.tipoPessoa } : {},
    valor: n.valor,
    valorProdutos: n.valorProdutos,
    valorFrete: n.valorFrete,
    vendedor: { id: order?.vendedorId ?? 0, nome: "" },
    idFormaEnvio: order?.transportador.formaEnvio.id ?? 0,
    idFormaFrete: order?.transportador.formaFrete.id ?? 0,
    codigoRastreamento: order?.transportador.codigoRastreamento ?? "",
    urlRastreamento: order?.transportador.urlRastreamento ?? "",
    fretePorConta: order?.transportador.fretePorConta ?? "R",
    qtdVolumes: 1,
    pesoBruto: 0,
    pesoLiquido: 0,
    ecommerce: order ? { ...order.ecommerce } : { id: 0, nome: "", numeroPedidoEcommerce: "", numeroPedidoCanalVenda: "", canalVenda: "" },
  };
}

function detailView(ctx: TinyContext, n: Invoice) {
  const order = n.idPedido !== null ? ctx.state.orders.get(n.idPedido) : undefined;
  return {
    ...baseView(ctx, n),
    finalidade: String(n.finalidade),
    regimeTributario: ctx.state.account.regimeTributario,
    dataInclusao: n.dataInclusao,
    baseIcms: 0,
    valorIcms: 0,
    baseIcmsSt: 0,
    valorIcmsSt: 0,
    valorServicos: 0,
    valorSeguro: 0,
    valorOutras: order?.valorOutrasDespesas ?? 0,
    valorIpi: 0,
    valorIssqn: 0,
    valorDesconto: n.valorDesconto,
    valorFaturado: n.valor,
    idIntermediador: order?.intermediadorId ?? 0,
    idNaturezaOperacao: order?.naturezaOperacao.id ?? 0,
    idFormaPagamento: order?.pagamento.formaPagamento.id ?? 0,
    idMeioPagamento: order?.pagamento.meioPagamento.id ?? 0,
    observacoes: "",
    condicaoPagamento: order?.pagamento.condicaoPagamento ?? "",
    itens: n.itens.map((i) => ({ ...i })),
    parcelas: (order?.pagamento.parcelas ?? []).map((p) => ({
      dias: p.dias,
      data: p.data,
      valor: p.valor,
      observacoes: p.observacoes,
      idFormaPagamento: String(p.formaPagamento.id),
      idMeioPagamento: String(p.meioPagamento.id),
    })),
    marcadores: n.marcadores.map((descricao) => ({ descricao })),
  };
}

const markersSchema = z.array(z.object({ descricao: z.string().min(1) }));

export function registerInvoiceRoutes(api: Hono, ctx: TinyContext, faults?: FaultInjector): void {
  api.get("/notas", (c) => {
    const { state } = ctx;
    const page = readPage(c, ctx.settings.maxLimit);
    const tipo = queryStr(c, "tipo");
    const numero = queryInt(c, "numero");
    const doc = queryStr(c, "cpfCnpj")?.replace(/\D/g, "");
    const dataInicial = queryStr(c, "dataInicial");
    const dataFinal = queryStr(c, "dataFinal");
    const situacao = queryInt(c, "situacao");
    const numeroEcommerce = queryStr(c, "numeroPedidoEcommerce");
    const idVendedor = queryInt(c, "idVendedor");
    const idFormaEnvio = queryInt(c, "idFormaEnvio");
    const idVenda = queryInt(c, "idVenda");
    const marcadores = queryList(c, "marcadores");
    const detalhes: ErrorDetail[] = [];
    if (tipo !== undefined && tipo !== "E" && tipo !== "S") detalhes.push({ campo: "tipo", mensagem: "Valores aceitos: E, S" });
    for (const [campo, v] of [
      ["dataInicial", dataInicial],
      ["dataFinal", dataFinal],
    ] as const)
      if (v !== undefined && !isDate(v)) detalhes.push({ campo, mensagem: "Data inválida, use o formato AAAA-MM-DD" });
    if (detalhes.length > 0) throw validation(detalhes);
    const rows = [...state.invoices.values()].filter((n) => {
      const order = n.idPedido !== null ? state.orders.get(n.idPedido) : undefined;
      if (tipo !== undefined && n.tipo !== tipo) return false;
      if (numero !== undefined && n.numero !== numero) return false;
      if (situacao !== undefined && n.situacao !== situacao) return false;
      if (dataInicial && n.dataEmissao < dataInicial) return false;
      if (dataFinal && n.dataEmissao > dataFinal) return false;
      if (doc !== undefined && (state.contacts.get(n.idContato)?.cpfCnpj ?? "").replace(/\D/g, "") !== doc) return false;
      if (numeroEcommerce !== undefined && order?.ecommerce.numeroPedidoEcommerce !== numeroEcommerce) return false;
      if (idVendedor !== undefined && order?.vendedorId !== idVendedor) return false;
      if (idFormaEnvio !== undefined && order?.transportador.formaEnvio.id !== idFormaEnvio) return false;
      if (idVenda !== undefined && n.idPedido !== idVenda) return false;
      if (marcadores && !marcadores.every((m) => n.marcadores.includes(m))) return false;
      return true;
    });
    return c.json(paginate(rows, page, (n) => baseView(ctx, n)));
  });

  api.get("/notas/:idNota", (c) => c.json(detailView(ctx, getInvoice(ctx.state, pathId(c, "idNota")))));

  api.post("/notas/:idNota/emitir", async (c) => {
    const nota = getInvoice(ctx.state, pathId(c, "idNota"));
    await readBody(c, z.object({ enviarEmail: z.boolean().nullish() }).nullish());
    const { rejected } = emitInvoice(ctx, nota, faults, c.req.path);
    if (rejected !== null) throw validation([{ campo: "sefaz", mensagem: rejected }], "Nota fiscal rejeitada pela SEFAZ");
    return c.json({ id: nota.id, chaveAcesso: nota.chaveAcesso, linkAcesso: danfeUrl(ctx, nota), situacao: nota.situacao, xml: nota.xml });
  });

  const authorized = (id: number): Invoice => {
    const nota = getInvoice(ctx.state, id);
    if (nota.situacao !== 6 && nota.situacao !== 7) throw new TinyError(400, "A nota fiscal não está autorizada");
    return nota;
  };

  api.get("/notas/:idNota/link", (c) => c.json({ link: danfeUrl(ctx, authorized(pathId(c, "idNota"))) }));
  api.get("/notas/:idNota/xml", (c) => c.json({ xmlNfe: authorized(pathId(c, "idNota")).xml, xmlCancelamento: "" }));

  api.post("/notas/:idNota/lancar-estoque", (c) => {
    const nota = getInvoice(ctx.state, pathId(c, "idNota"));
    const order = nota.idPedido !== null ? ctx.state.orders.get(nota.idPedido) : undefined;
    // The invoice posts the order's stock; both paths share the order's "already posted" flag.
    if (order) launchOrderStock(ctx, order);
    return c.body(null, 204);
  });

  api.post("/notas/:idNota/lancar-contas", (c) => {
    launchInvoiceReceivables(ctx, getInvoice(ctx.state, pathId(c, "idNota")));
    return c.body(null, 204);
  });

  api.get("/notas/:idNota/marcadores", (c) => c.json(getInvoice(ctx.state, pathId(c, "idNota")).marcadores.map((descricao) => ({ descricao }))));
  api.post("/notas/:idNota/marcadores", async (c) => {
    const nota = getInvoice(ctx.state, pathId(c, "idNota"));
    for (const { descricao } of await readBody(c, markersSchema)) if (!nota.marcadores.includes(descricao)) nota.marcadores.push(descricao);
    ctx.changed();
    return c.body(null, 204);
  });
  api.put("/notas/:idNota/marcadores", async (c) => {
    const nota = getInvoice(ctx.state, pathId(c, "idNota"));
    nota.marcadores = [...new Set((await readBody(c, markersSchema)).map((m) => m.descricao))];
    ctx.changed();
    return c.body(null, 204);
  });
  api.delete("/notas/:idNota/marcadores", (c) => {
    getInvoice(ctx.state, pathId(c, "idNota")).marcadores = [];
    ctx.changed();
    return c.body(null, 204);
  });
}
