import type { Hono } from "hono";
import { z } from "zod";
import type { TinyContext } from "./context";
import { isDateTime, normalizeDateTime, spDateTime } from "./dates";
import { notFound, paginate, pathId, queryInt, queryStr, readBody, readPage, validation, type ErrorDetail } from "./http";
import { blankContact } from "./seed";
import { withBlanks } from "./variants";
import { allocateId, type Contact, type Endereco, type TinyState } from "./state";

// /contatos. v3 orders reference customers only by idContato, so integrations search by
// cpfCnpj and create the contact first; the search semantics matter more than the CRUD.

const str = z.string().nullish();
const enderecoSchema = z.object({ endereco: str, numero: str, complemento: str, bairro: str, municipio: str, cep: str, uf: str, pais: str }).nullish();
const pessoaSchema = z.object({ nome: str, telefone: str, ramal: str, email: str, setor: str });

const contactSchema = z.object({
  nome: str,
  codigo: str,
  fantasia: str,
  tipoPessoa: z.enum(["J", "F", "E", "X"]).nullish(),
  cpfCnpj: str,
  inscricaoEstadual: str,
  rg: str,
  telefone: str,
  celular: str,
  email: str,
  endereco: enderecoSchema,
  enderecoCobranca: enderecoSchema,
  inscricaoMunicipal: str,
  telefoneAdicional: str,
  emailNfe: str,
  site: str,
  regimeTributario: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).nullish(),
  estadoCivil: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]).nullish(),
  profissao: str,
  sexo: z.enum(["masculino", "feminino"]).nullish(),
  dataNascimento: str,
  naturalidade: str,
  nomePai: str,
  nomeMae: str,
  cpfPai: str,
  cpfMae: str,
  limiteCredito: z.number().nullish(),
  situacao: z.enum(["B", "A", "I", "E"]).nullish(),
  observacoes: str,
  vendedor: z.object({ id: z.number().int() }).nullish(),
  tipos: z.array(z.number().int()).nullish(),
  contatos: z.array(pessoaSchema).nullish(),
});

type ContactInput = z.infer<typeof contactSchema>;

const STRING_FIELDS = [
  "nome",
  "codigo",
  "fantasia",
  "cpfCnpj",
  "inscricaoEstadual",
  "rg",
  "telefone",
  "celular",
  "email",
  "inscricaoMunicipal",
  "telefoneAdicional",
  "emailNfe",
  "site",
  "profissao",
  "dataNascimento",
  "naturalidade",
  "nomePai",
  "nomeMae",
  "cpfPai",
  "cpfMae",
  "observacoes",
] as const;

const digitsOf = (s: string): string => s.replace(/\D/g, "");

function mergeEndereco(base: Endereco, patch: ContactInput["endereco"]): Endereco {
  if (!patch) return base;
  const out = { ...base };
  for (const key of Object.keys(out) as Array<keyof Endereco>) {
    const v = patch[key];
    if (v !== null && v !== undefined) out[key] = v;
  }
  return out;
}

function apply(state: TinyState, c: Contact, input: ContactInput): void {
  for (const key of STRING_FIELDS) {
    const v = input[key];
    if (v !== null && v !== undefined) c[key] = v;
  }
  if (input.tipoPessoa) c.tipoPessoa = input.tipoPessoa;
  if (input.regimeTributario != null) c.regimeTributario = input.regimeTributario;
  if (input.estadoCivil != null) c.estadoCivil = input.estadoCivil;
  if (input.sexo) c.sexo = input.sexo;
  if (input.limiteCredito != null) c.limiteCredito = input.limiteCredito;
  if (input.situacao) c.situacao = input.situacao;
  if (input.vendedor) c.vendedorId = input.vendedor.id;
  if (input.tipos) c.tipos = input.tipos;
  c.endereco = mergeEndereco(c.endereco, input.endereco);
  c.enderecoCobranca = mergeEndereco(c.enderecoCobranca, input.enderecoCobranca);
  if (input.contatos)
    c.pessoas = input.contatos.map((p) => ({ id: allocateId(state), nome: p.nome ?? "", telefone: p.telefone ?? "", ramal: p.ramal ?? "", email: p.email ?? "", setor: p.setor ?? "" }));
}

function validate(state: TinyState, input: ContactInput, creating: boolean): void {
  const detalhes: ErrorDetail[] = [];
  if (creating && !input.nome) detalhes.push({ campo: "nome", mensagem: "O nome do contato é obrigatório" });
  if (input.cpfCnpj) {
    const d = digitsOf(input.cpfCnpj);
    if (d.length !== 11 && d.length !== 14) detalhes.push({ campo: "cpfCnpj", mensagem: "CPF/CNPJ inválido" });
  }
  if (input.vendedor && !state.lookups.vendedores.some((v) => v.id === input.vendedor?.id)) detalhes.push({ campo: "vendedor.id", mensagem: "Vendedor não encontrado" });
  (input.tipos ?? []).forEach((t, i) => {
    if (!state.lookups.tiposContato.some((x) => x.id === t)) detalhes.push({ campo: `tipos[${i}]`, mensagem: "Tipo de contato não encontrado" });
  });
  if (detalhes.length > 0) throw validation(detalhes);
}

export function createContact(ctx: TinyContext, input: ContactInput): Contact {
  validate(ctx.state, input, true);
  const stamp = spDateTime(ctx.clock.now());
  const c = blankContact(allocateId(ctx.state), input.nome ?? "", stamp);
  if (input.cpfCnpj && digitsOf(input.cpfCnpj).length === 14 && !input.tipoPessoa) c.tipoPessoa = "J";
  apply(ctx.state, c, input);
  ctx.state.contacts.set(c.id, c);
  ctx.changed();
  return c;
}

export function getContact(state: TinyState, id: number): Contact {
  const c = state.contacts.get(id);
  if (!c || c.situacao === "E") throw notFound("Contato não encontrado");
  return c;
}

const base = (c: Contact) => ({
  nome: c.nome,
  codigo: c.codigo,
  fantasia: c.fantasia,
  tipoPessoa: c.tipoPessoa,
  cpfCnpj: c.cpfCnpj,
  inscricaoEstadual: c.inscricaoEstadual,
  rg: c.rg,
  telefone: c.telefone,
  celular: c.celular,
  email: c.email,
  endereco: { ...c.endereco },
});

/** The customer block embedded in orders, invoices and shipments (BaseContatoModel + id). */
export function contactRef(c: Contact) {
  return { id: c.id, ...base(c) };
}

function vendedorOf(state: TinyState, c: Contact) {
  if (c.vendedorId === null) return null;
  const v = state.lookups.vendedores.find((x) => x.id === c.vendedorId);
  return { id: c.vendedorId, nome: v?.nome ?? "" };
}

/** ListagemContatoModelResponse's own nullable strings. */
const contactNullableStrings = ["nome", "codigo", "fantasia", "tipoPessoa", "cpfCnpj", "inscricaoEstadual", "rg", "telefone", "celular", "email", "situacao", "dataCriacao", "dataAtualizacao"];

function listItem(state: TinyState, c: Contact) {
  return { id: c.id, ...base(c), vendedor: vendedorOf(state, c), situacao: c.situacao, dataCriacao: c.dataCriacao, dataAtualizacao: c.dataAtualizacao };
}

function detail(state: TinyState, c: Contact) {
  return {
    id: c.id,
    ...base(c),
    enderecoCobranca: { ...c.enderecoCobranca },
    inscricaoMunicipal: c.inscricaoMunicipal,
    telefoneAdicional: c.telefoneAdicional,
    emailNfe: c.emailNfe,
    site: c.site,
    regimeTributario: c.regimeTributario,
    estadoCivil: c.estadoCivil,
    profissao: c.profissao,
    sexo: c.sexo,
    dataNascimento: c.dataNascimento,
    naturalidade: c.naturalidade,
    nomePai: c.nomePai,
    nomeMae: c.nomeMae,
    cpfPai: c.cpfPai,
    cpfMae: c.cpfMae,
    limiteCredito: c.limiteCredito,
    situacao: c.situacao,
    observacoes: c.observacoes,
    dataCriacao: c.dataCriacao,
    dataAtualizacao: c.dataAtualizacao,
    vendedor: vendedorOf(state, c),
    tipos: c.tipos.map((id) => {
      const t = state.lookups.tiposContato.find((x) => x.id === id);
      return { id, descricao: t?.nome ?? "" };
    }),
    contatos: c.pessoas.map((p) => ({ ...p })),
  };
}

export function registerContactRoutes(api: Hono, ctx: TinyContext): void {
  api.get("/contatos", (c) => {
    const { state } = ctx;
    const page = readPage(c, ctx.settings.maxLimit);
    const nome = queryStr(c, "nome")?.toLocaleLowerCase("pt-BR");
    const codigo = queryStr(c, "codigo");
    const situacao = queryStr(c, "situacao");
    const idVendedor = queryInt(c, "idVendedor");
    const cpfCnpj = queryStr(c, "cpfCnpj") ?? queryStr(c, "cnpj");
    const celular = queryStr(c, "celular");
    const dataCriacao = queryStr(c, "dataCriacao");
    const dataAtualizacao = queryStr(c, "dataAtualizacao");
    const detalhes: ErrorDetail[] = [];
    if (situacao !== undefined && !["B", "A", "I", "E"].includes(situacao)) detalhes.push({ campo: "situacao", mensagem: "Valores aceitos: B, A, I, E" });
    for (const [campo, v] of [
      ["dataCriacao", dataCriacao],
      ["dataAtualizacao", dataAtualizacao],
    ] as const) {
      if (v !== undefined && !isDateTime(v)) detalhes.push({ campo, mensagem: "Data inválida, use o formato AAAA-MM-DD HH:MM:SS" });
    }
    if (detalhes.length > 0) throw validation(detalhes);
    const doc = cpfCnpj !== undefined ? digitsOf(cpfCnpj) : undefined;
    const cel = celular !== undefined ? digitsOf(celular) : undefined;
    const rows = [...state.contacts.values()].filter((x) => {
      if (situacao ? x.situacao !== situacao : x.situacao === "E") return false;
      if (nome !== undefined && !x.nome.toLocaleLowerCase("pt-BR").includes(nome)) return false;
      if (codigo !== undefined && x.codigo !== codigo) return false;
      if (idVendedor !== undefined && x.vendedorId !== idVendedor) return false;
      if (doc !== undefined && digitsOf(x.cpfCnpj) !== doc) return false;
      if (cel !== undefined && digitsOf(x.celular) !== cel) return false;
      if (dataCriacao && x.dataCriacao < normalizeDateTime(dataCriacao)) return false;
      if (dataAtualizacao && x.dataAtualizacao < normalizeDateTime(dataAtualizacao)) return false;
      return true;
    });
    return c.json(paginate(rows, page, (x) => withBlanks(state.seed, `contato:${x.id}`, listItem(state, x), contactNullableStrings)));
  });

  api.post("/contatos", async (c) => {
    const input = await readBody(c, contactSchema);
    return c.json({ id: createContact(ctx, input).id });
  });

  api.get("/contatos/tipos", (c) => {
    const page = readPage(c, ctx.settings.maxLimit);
    const nome = queryStr(c, "nome")?.toLocaleLowerCase("pt-BR");
    const rows = ctx.state.lookups.tiposContato.filter((t) => nome === undefined || t.nome.toLocaleLowerCase("pt-BR").includes(nome));
    return c.json(paginate(rows, page, (t) => ({ ...t })));
  });

  api.get("/contatos/:idContato", (c) => c.json(detail(ctx.state, getContact(ctx.state, pathId(c, "idContato")))));

  api.put("/contatos/:idContato", async (c) => {
    const contact = getContact(ctx.state, pathId(c, "idContato"));
    const input = await readBody(c, contactSchema);
    validate(ctx.state, input, false);
    apply(ctx.state, contact, input);
    contact.dataAtualizacao = spDateTime(ctx.clock.now());
    ctx.changed();
    return c.body(null, 204);
  });

  api.get("/contatos/:idContato/pessoas", (c) => {
    const contact = getContact(ctx.state, pathId(c, "idContato"));
    return c.json(paginate(contact.pessoas, readPage(c, ctx.settings.maxLimit), (p) => ({ ...p })));
  });

  api.post("/contatos/:idContato/pessoas", async (c) => {
    const contact = getContact(ctx.state, pathId(c, "idContato"));
    const input = await readBody(c, pessoaSchema);
    const pessoa = { id: allocateId(ctx.state), nome: input.nome ?? "", telefone: input.telefone ?? "", ramal: input.ramal ?? "", email: input.email ?? "", setor: input.setor ?? "" };
    contact.pessoas.push(pessoa);
    ctx.changed();
    return c.json({ id: pessoa.id });
  });

  const pessoaOf = (contactId: number, pessoaId: number) => {
    const contact = getContact(ctx.state, contactId);
    const pessoa = contact.pessoas.find((p) => p.id === pessoaId);
    if (!pessoa) throw notFound("Pessoa de contato não encontrada");
    return { contact, pessoa };
  };

  api.get("/contatos/:idContato/pessoas/:idPessoa", (c) => c.json({ ...pessoaOf(pathId(c, "idContato"), pathId(c, "idPessoa")).pessoa }));

  api.put("/contatos/:idContato/pessoas/:idPessoa", async (c) => {
    const { pessoa } = pessoaOf(pathId(c, "idContato"), pathId(c, "idPessoa"));
    const input = await readBody(c, pessoaSchema);
    for (const key of ["nome", "telefone", "ramal", "email", "setor"] as const) {
      const v = input[key];
      if (v !== null && v !== undefined) pessoa[key] = v;
    }
    ctx.changed();
    return c.body(null, 204);
  });

  api.delete("/contatos/:idContato/pessoas/:idPessoa", (c) => {
    const { contact, pessoa } = pessoaOf(pathId(c, "idContato"), pathId(c, "idPessoa"));
    contact.pessoas = contact.pessoas.filter((p) => p !== pessoa);
    ctx.changed();
    return c.json({});
  });
}
