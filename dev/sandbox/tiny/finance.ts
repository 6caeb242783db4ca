import type { Hono } from "hono";
import { z } from "zod";
import { contactRef } from "./contacts";
import type { TinyContext } from "./context";
import { isDate, spDate } from "./dates";
import { TinyError, notFound, paginate, pathId, queryInt, queryList, queryStr, readBody, readPage, validation, type ErrorDetail } from "./http";
import { withBlanks } from "./variants";
import { allocateId, round, type Invoice, type Order, type Receivable, type ReceivableSituacao, type TinyState } from "./state";

// /contas-receber (read side) and the postings that create receivables: POST /pedidos/{id}/lancar-contas
// and POST /notas/{id}/lancar-contas. Shapes follow ListagemContasReceberResponseModel and
// ObterContaReceberResponseModel field for field. What a posting writes (document number, history
// text, one receivable per parcel) is not documented by Tiny: docs/tiny-shipping-customers-finance.md lists the choices.

const SITUACOES: ReceivableSituacao[] = ["aberto", "cancelada", "pago", "parcial", "prevista"];

// BaixarContaReceberModelRequest; the amounts other than valorPago are strings in the spec.
const baixaSchema = z.object({
  contaDestino: z.object({ id: z.number().int().nullish() }).nullish(),
  data: z.string().nullish(),
  categoria: z.object({ id: z.number().int().nullish() }).nullish(),
  historico: z.string().nullish(),
  taxa: z.string().nullish(),
  juros: z.string().nullish(),
  desconto: z.string().nullish(),
  valorPago: z.number().nullish(),
  acrescimo: z.string().nullish(),
});

/** baixar takes "DD/MM/YYYY" on the real API (tiny-api.md §3.4); ISO is accepted too. */
function baixaDate(value: string): string | null {
  const br = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  const iso = br ? `${br[3]}-${br[2]}-${br[1]}` : value;
  // Date.parse rolls "02-31" over into March; a payment date must be a real day.
  return isDate(iso) && new Date(`${iso}T00:00:00Z`).toISOString().startsWith(iso) ? iso : null;
}

/** Receivables of an order or invoice that still count: a reversal cancels them, so they can be posted again. */
function liveOf(state: TinyState, keep: (r: Receivable) => boolean): Receivable[] {
  return [...state.receivables.values()].filter((r) => r.situacao !== "cancelada" && keep(r));
}

const addDays = (date: string, days: number): string => spDate(Date.parse(`${date}T12:00:00-03:00`) + days * 86_400_000);

interface Posting {
  idVenda: number | null;
  idNota: number | null;
  idContato: number;
  numero: number;
  data: string;
  total: number;
  origem: string;
  parcelas: Array<{ valor: number; vencimento: string }>;
  forma: { id: number; nome: string };
}

function post(ctx: TinyContext, p: Posting): Receivable[] {
  const parcelas = p.parcelas.length > 0 ? p.parcelas : [{ valor: p.total, vencimento: p.data }];
  const many = parcelas.length > 1;
  const created = parcelas.map((parcela, i) => {
    const r: Receivable = {
      id: allocateId(ctx.state),
      situacao: "aberto",
      data: p.data,
      dataVencimento: parcela.vencimento,
      dataCompetencia: p.data,
      dataLiquidacao: "",
      numeroDocumento: many ? `${p.numero}/${i + 1}` : String(p.numero),
      serieDocumento: "",
      numeroBanco: "",
      ocorrencia: many ? "P" : "U",
      quantidadeParcelas: parcelas.length,
      valor: round(parcela.valor, 2),
      valorPago: 0,
      idContato: p.idContato,
      categoria: { id: 0, descricao: "" },
      formaRecebimento: { ...p.forma },
      historico: `Ref. ${p.origem} nº ${p.numero}${many ? ` (parcela ${i + 1}/${parcelas.length})` : ""}`,
      idVenda: p.idVenda,
      idNota: p.idNota,
      marcadores: [],
    };
    ctx.state.receivables.set(r.id, r);
    return r;
  });
  ctx.changed();
  return created;
}

const alreadyPosted = () => new TinyError(400, "Contas já lançadas.");

/** Like lancar-estoque: once per order (a second call is a 400 that callers read as "already done"). */
export function launchOrderReceivables(ctx: TinyContext, o: Order, total: number): Receivable[] {
  if (o.situacao === 2) throw validation([{ campo: "situacao", mensagem: "Pedido cancelado" }], "Não é possível lançar contas de um pedido cancelado");
  const invoice = o.idNotaFiscal ? o.idNotaFiscal : null;
  if (liveOf(ctx.state, (r) => r.idVenda === o.id || (invoice !== null && r.idNota === invoice)).length > 0) throw alreadyPosted();
  return post(ctx, {
    idVenda: o.id,
    idNota: null,
    idContato: o.idContato,
    numero: o.numeroPedido,
    data: o.data,
    total,
    origem: "ao pedido de venda",
    parcelas: o.pagamento.parcelas.map((p) => ({ valor: p.valor, vencimento: p.data ? p.data.slice(0, 10) : addDays(o.data, p.dias) })),
    forma: o.pagamento.formaPagamento,
  });
}

/** The invoice's receivables name the invoice only; its order's and its own postings exclude each other. */
export function launchInvoiceReceivables(ctx: TinyContext, nota: Invoice): Receivable[] {
  if (liveOf(ctx.state, (r) => r.idNota === nota.id || (nota.idPedido !== null && r.idVenda === nota.idPedido)).length > 0) throw alreadyPosted();
  const data = (nota.dataEmissao || spDate(ctx.clock.now())).slice(0, 10);
  const order = nota.idPedido !== null ? ctx.state.orders.get(nota.idPedido) : undefined;
  return post(ctx, {
    idVenda: null,
    idNota: nota.id,
    idContato: nota.idContato,
    numero: nota.numero,
    data,
    total: nota.valor,
    origem: "à nota fiscal",
    parcelas: [],
    forma: order?.pagamento.formaPagamento ?? { id: 0, nome: "" },
  });
}

/** estornar-contas: 204 even with nothing posted; paid receivables stay, the rest are cancelled. */
export function reverseOrderReceivables(ctx: TinyContext, o: Order): void {
  for (const r of liveOf(ctx.state, (x) => x.idVenda === o.id)) if (r.valorPago === 0) r.situacao = "cancelada";
  ctx.changed();
}

function clienteOf(state: TinyState, r: Receivable) {
  const c = state.contacts.get(r.idContato);
  return c ? contactRef(c) : { id: r.idContato };
}

/** The nullable strings of ListagemContasReceberResponseModel (ObterContaReceberResponseModel has these and more). */
const receivableNullableStrings = ["situacao", "data", "dataVencimento", "historico", "numeroDocumento", "numeroBanco", "serieDocumento"];

function listItem(state: TinyState, r: Receivable) {
  return {
    id: r.id,
    situacao: r.situacao,
    data: r.data,
    dataVencimento: r.dataVencimento,
    historico: r.historico,
    valor: r.valor,
    numeroDocumento: r.numeroDocumento,
    numeroBanco: r.numeroBanco,
    serieDocumento: r.serieDocumento,
    cliente: clienteOf(state, r),
    quantidadeParcelasAntecipadas: 0,
  };
}

function detail(state: TinyState, r: Receivable) {
  // Day of the month and weekday only mean something for recurring receivables (ocorrência other than U/P).
  return {
    id: r.id,
    situacao: r.situacao,
    data: r.data,
    dataVencimento: r.dataVencimento,
    dataCompetencia: r.dataCompetencia,
    dataLiquidacao: r.dataLiquidacao,
    diaVencimento: null,
    diaSemanaVencimento: null,
    numeroDocumento: r.numeroDocumento,
    serieDocumento: r.serieDocumento,
    ocorrencia: r.ocorrencia,
    quantidadeParcelas: r.quantidadeParcelas,
    valor: r.valor,
    saldo: round(r.valor - r.valorPago, 2),
    taxa: 0,
    juros: 0,
    multa: 0,
    valorPago: r.valorPago,
    cliente: clienteOf(state, r),
    categoria: { ...r.categoria },
    formaRecebimento: { ...r.formaRecebimento },
    historico: r.historico,
    linkBoleto: "",
    quantidadeParcelasAntecipadas: 0,
  };
}

export function registerFinanceRoutes(api: Hono, ctx: TinyContext): void {
  api.get("/contas-receber", (c) => {
    const { state } = ctx;
    const page = readPage(c, ctx.settings.maxLimit);
    const nomeCliente = queryStr(c, "nomeCliente")?.toLocaleLowerCase("pt-BR");
    const situacao = queryStr(c, "situacao");
    const dates = {
      dataInicialEmissao: queryStr(c, "dataInicialEmissao"),
      dataFinalEmissao: queryStr(c, "dataFinalEmissao"),
      dataInicialVencimento: queryStr(c, "dataInicialVencimento"),
      dataFinalVencimento: queryStr(c, "dataFinalVencimento"),
    };
    const numeroDocumento = queryStr(c, "numeroDocumento");
    const numeroBanco = queryStr(c, "numeroBanco");
    const idNota = queryInt(c, "idNota");
    const idVenda = queryInt(c, "idVenda");
    const marcadores = queryList(c, "marcadores");
    const detalhes: ErrorDetail[] = [];
    if (situacao !== undefined && !SITUACOES.includes(situacao as ReceivableSituacao)) detalhes.push({ campo: "situacao", mensagem: `Valores aceitos: ${SITUACOES.join(", ")}` });
    for (const [campo, v] of Object.entries(dates)) if (v !== undefined && !isDate(v)) detalhes.push({ campo, mensagem: "Data inválida, use o formato AAAA-MM-DD" });
    if (detalhes.length > 0) throw validation(detalhes);
    const rows = [...state.receivables.values()].filter((r) => {
      if (situacao !== undefined && r.situacao !== situacao) return false;
      if (dates.dataInicialEmissao && r.data < dates.dataInicialEmissao) return false;
      if (dates.dataFinalEmissao && r.data > dates.dataFinalEmissao) return false;
      if (dates.dataInicialVencimento && r.dataVencimento < dates.dataInicialVencimento) return false;
      if (dates.dataFinalVencimento && r.dataVencimento > dates.dataFinalVencimento) return false;
      // A parcel's number is "<document>/<n>": searching the document finds every parcel.
      if (numeroDocumento !== undefined && r.numeroDocumento !== numeroDocumento && !r.numeroDocumento.startsWith(`${numeroDocumento}/`)) return false;
      if (numeroBanco !== undefined && r.numeroBanco !== numeroBanco) return false;
      if (idNota !== undefined && r.idNota !== idNota) return false;
      if (idVenda !== undefined && r.idVenda !== idVenda) return false;
      if (marcadores && !marcadores.every((m) => r.marcadores.includes(m))) return false;
      if (nomeCliente !== undefined && !(state.contacts.get(r.idContato)?.nome ?? "").toLocaleLowerCase("pt-BR").includes(nomeCliente)) return false;
      return true;
    });
    return c.json(paginate(rows, page, (r) => withBlanks(state.seed, `conta-receber:${r.id}`, listItem(state, r), receivableNullableStrings)));
  });

  const getReceivable = (id: number): Receivable => {
    const r = ctx.state.receivables.get(id);
    if (!r) throw notFound("Conta a receber não encontrada");
    return r;
  };

  api.get("/contas-receber/:idContaReceber", (c) => {
    const r = getReceivable(pathId(c, "idContaReceber"));
    return c.json(withBlanks(ctx.state.seed, `conta-receber:${r.id}`, detail(ctx.state, r), [...receivableNullableStrings, "dataCompetencia", "dataLiquidacao", "linkBoleto"]));
  });

  api.post("/contas-receber/:idContaReceber/baixar", async (c) => {
    const r = getReceivable(pathId(c, "idContaReceber"));
    const input = await readBody(c, baixaSchema);
    const saldo = round(r.valor - r.valorPago, 2);
    const detalhes: ErrorDetail[] = [];
    if (r.situacao === "cancelada" || saldo <= 0) throw new TinyError(400, "A conta não possui saldo em aberto");
    const valorPago = input.valorPago ?? saldo;
    if (valorPago <= 0 || valorPago > saldo) detalhes.push({ campo: "valorPago", mensagem: "Valor pago deve ser maior que zero e no máximo o saldo da conta" });
    const data = input.data ? baixaDate(input.data) : spDate(ctx.clock.now());
    if (data === null) detalhes.push({ campo: "data", mensagem: "Data inválida, use o formato DD/MM/AAAA" });
    if (detalhes.length > 0 || data === null) throw validation(detalhes);
    r.valorPago = round(r.valorPago + valorPago, 2);
    r.situacao = r.valorPago >= r.valor ? "pago" : "parcial";
    r.dataLiquidacao = data;
    ctx.changed();
    return c.body(null, 204);
  });
}
