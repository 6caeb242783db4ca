import type { Hono } from "hono";
import { z } from "zod";
import type { TinyContext } from "./context";
import { isDateTime, normalizeDateTime, spDateTime } from "./dates";
import { TinyError, notFound, paginateWhere, pathId, queryInt, queryStr, readBody, readPage, validation, type ErrorDetail } from "./http";
import { blankProduct } from "./seed";
import { allocateId, defaultDeposit, totalSaldo, type Product, type TinyState } from "./state";
import { postMovement } from "./stock";
import { withBlanks } from "./variants";

// /produtos: catalogue CRUD, variations, kits and prices. Shapes follow the 2025-08 spec
// (ListagemProdutosResponseModel, ObterProdutoModelResponse, CriarProdutoComVariacoesResponseModel).

const str = z.string().nullish();
const num = z.number().nullish();
const int = z.number().int().nullish();
const idRef = z.object({ id: int }).nullish();

const precosSchema = z.object({ preco: num, precoPromocional: num, precoCusto: num }).nullish();
const dimensoesSchema = z
  .object({
    embalagem: z.object({ id: int, tipo: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).nullish() }).nullish(),
    largura: num,
    altura: num,
    comprimento: num,
    diametro: num,
    pesoLiquido: num,
    pesoBruto: num,
  })
  .nullish();
const estoqueCfgSchema = z.object({
  controlar: z.boolean().nullish(),
  sobEncomenda: z.boolean().nullish(),
  minimo: num,
  maximo: num,
  diasPreparacao: int,
  localizacao: str,
});
const gradeSchema = z.array(z.object({ chave: str, valor: str })).nullish();
const variacaoSchema = z.object({
  sku: str,
  gtin: str,
  precos: z.object({ preco: num, precoPromocional: num }).nullish(),
  estoque: z.object({ inicial: num }).nullish(),
  grade: gradeSchema,
});
const kitSchema = z.array(z.object({ produto: z.object({ id: z.number().int() }), quantidade: z.number().positive() }));

const produtoModel = {
  sku: str,
  descricaoComplementar: str,
  unidade: str,
  unidadePorCaixa: str,
  ncm: str,
  gtin: str,
  origem: z.number().int().min(0).max(8).nullish(),
  garantia: str,
  observacoes: str,
  marca: idRef,
  categoria: idRef,
  precos: precosSchema,
  dimensoes: dimensoesSchema,
  tributacao: z.object({ gtinEmbalagem: str, valorIPIFixo: num, classeIPI: str }).nullish(),
  seo: z.object({ titulo: str, descricao: str, keywords: z.array(z.string()).nullish(), linkVideo: str, slug: str }).nullish(),
  fornecedores: z.array(z.object({ id: int, codigoProdutoNoFornecedor: str, padrao: z.boolean().nullish() })).nullish(),
  descricao: str,
};

const createSchema = z.object({
  ...produtoModel,
  sku: z.string().min(1),
  descricao: z.string().min(1),
  tipo: z.enum(["K", "S", "V", "F", "M"]),
  estoque: estoqueCfgSchema.extend({ inicial: num }).nullish(),
  anexos: z.array(z.object({ url: str, externo: z.boolean().nullish() })).nullish(),
  grade: z.array(z.string()).nullish(),
  producao: z.object({ produtos: z.array(z.object({ produto: z.object({ id: z.number().int() }), quantidade: z.number() })).nullish(), etapas: z.array(z.string()).nullish() }).nullish(),
  kit: kitSchema.nullish(),
  variacoes: z.array(variacaoSchema).nullish(),
});

const updateSchema = z.object({ ...produtoModel, estoque: estoqueCfgSchema.nullish() });

export type CreateProductInput = z.infer<typeof createSchema>;

const val = <T>(v: T | null | undefined, fallback: T): T => (v === null || v === undefined ? fallback : v);

export function getProduct(state: TinyState, id: number): Product {
  const p = state.products.get(id);
  if (!p || p.situacao === "E") throw notFound("Produto não encontrado");
  return p;
}

function assertSkuFree(state: TinyState, sku: string, campo: string, selfId?: number): void {
  const owner = state.skuIndex.get(sku);
  if (owner !== undefined && owner !== selfId) {
    throw validation([{ campo, mensagem: `Já existe um produto cadastrado com o código '${sku}'` }]);
  }
}

function applyCommon(p: Product, input: z.infer<typeof updateSchema>): void {
  if (input.descricao != null) p.descricao = input.descricao;
  if (input.descricaoComplementar != null) p.descricaoComplementar = input.descricaoComplementar;
  if (input.unidade != null) p.unidade = input.unidade;
  if (input.unidadePorCaixa != null) p.unidadePorCaixa = input.unidadePorCaixa;
  if (input.ncm != null) p.ncm = input.ncm;
  if (input.gtin != null) p.gtin = input.gtin;
  if (input.origem != null) p.origem = input.origem;
  if (input.garantia != null) p.garantia = input.garantia;
  if (input.observacoes != null) p.observacoes = input.observacoes;
  if (input.marca?.id != null) p.marca = { id: input.marca.id, nome: p.marca?.nome ?? "" };
  if (input.categoria?.id != null) p.categoria = { id: input.categoria.id, nome: p.categoria?.nome ?? "", caminhoCompleto: p.categoria?.caminhoCompleto ?? "" };
  if (input.precos) {
    p.precos = {
      ...p.precos,
      preco: val(input.precos.preco, p.precos.preco),
      precoPromocional: val(input.precos.precoPromocional, p.precos.precoPromocional),
      precoCusto: val(input.precos.precoCusto, p.precos.precoCusto),
    };
  }
  if (input.dimensoes) {
    const d = input.dimensoes;
    p.dimensoes = {
      ...p.dimensoes,
      embalagem: d.embalagem ? { id: val(d.embalagem.id, 0), tipo: val(d.embalagem.tipo, 0), descricao: p.dimensoes.embalagem?.descricao ?? "" } : p.dimensoes.embalagem,
      largura: val(d.largura, p.dimensoes.largura),
      altura: val(d.altura, p.dimensoes.altura),
      comprimento: val(d.comprimento, p.dimensoes.comprimento),
      diametro: val(d.diametro, p.dimensoes.diametro),
      pesoLiquido: val(d.pesoLiquido, p.dimensoes.pesoLiquido),
      pesoBruto: val(d.pesoBruto, p.dimensoes.pesoBruto),
    };
  }
  if (input.tributacao) {
    p.tributacao = {
      gtinEmbalagem: val(input.tributacao.gtinEmbalagem, p.tributacao.gtinEmbalagem),
      valorIPIFixo: val(input.tributacao.valorIPIFixo, p.tributacao.valorIPIFixo),
      classeIPI: val(input.tributacao.classeIPI, p.tributacao.classeIPI),
    };
  }
  if (input.seo) {
    p.seo = {
      titulo: val(input.seo.titulo, p.seo.titulo),
      descricao: val(input.seo.descricao, p.seo.descricao),
      keywords: val(input.seo.keywords, p.seo.keywords),
      linkVideo: val(input.seo.linkVideo, p.seo.linkVideo),
      slug: val(input.seo.slug, p.seo.slug),
    };
  }
  if (input.fornecedores) p.fornecedores = input.fornecedores.map((f) => ({ id: val(f.id, 0), nome: "", codigoProdutoNoFornecedor: val(f.codigoProdutoNoFornecedor, "") }));
  if (input.estoque) {
    const e = input.estoque;
    p.estoque = {
      controlar: val(e.controlar, p.estoque.controlar),
      sobEncomenda: val(e.sobEncomenda, p.estoque.sobEncomenda),
      diasPreparacao: val(e.diasPreparacao, p.estoque.diasPreparacao),
      localizacao: val(e.localizacao, p.estoque.localizacao),
      minimo: val(e.minimo, p.estoque.minimo),
      maximo: val(e.maximo, p.estoque.maximo),
    };
  }
}

function validateComponents(state: TinyState, rows: Array<{ produto: { id: number } }>, campo: string): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  rows.forEach((row, i) => {
    const p = state.products.get(row.produto.id);
    if (!p || p.situacao === "E") out.push({ campo: `${campo}[${i}].produto.id`, mensagem: "Produto não encontrado" });
    else if (p.tipo === "K" || p.tipo === "V") out.push({ campo: `${campo}[${i}].produto.id`, mensagem: "Produto do tipo kit ou com variações não pode compor um kit" });
  });
  return out;
}

function addVariation(ctx: TinyContext, parent: Product, input: z.infer<typeof variacaoSchema>, campo: string): Product {
  const { state } = ctx;
  const sku = input.sku ?? "";
  if (!sku) throw validation([{ campo: `${campo}.sku`, mensagem: "O código (SKU) da variação é obrigatório" }]);
  assertSkuFree(state, sku, `${campo}.sku`);
  const grade = (input.grade ?? []).map((g) => ({ chave: g.chave ?? "", valor: g.valor ?? "" }));
  const suffix = grade.map((g) => `${g.chave}:${g.valor}`).join(" ");
  const child = blankProduct(allocateId(state), sku, suffix ? `${parent.descricao} - ${suffix}` : parent.descricao, spDateTime(ctx.clock.now()));
  child.tipo = "S";
  child.parentId = parent.id;
  child.grade = grade;
  child.gtin = input.gtin ?? "";
  child.unidade = parent.unidade;
  child.precos = { ...parent.precos, preco: val(input.precos?.preco, parent.precos.preco), precoPromocional: val(input.precos?.precoPromocional, parent.precos.precoPromocional) };
  state.products.set(child.id, child);
  state.skuIndex.set(sku, child.id);
  parent.variationIds.push(child.id);
  const inicial = input.estoque?.inicial ?? 0;
  if (inicial !== 0)
    postMovement(ctx, {
      productId: child.id,
      depositId: defaultDeposit(state).id,
      tipo: "B",
      quantidade: inicial,
      preco: child.precos.precoCusto,
      observacao: "Estoque inicial",
      origem: "api",
      idOrigem: null,
    });
  return child;
}

/** Shared by POST /produtos and the control endpoint: the sandbox creates products exactly as the API would. */
export function createProduct(ctx: TinyContext, input: CreateProductInput): { product: Product; variations: Product[] } {
  const { state } = ctx;
  assertSkuFree(state, input.sku, "sku");
  const detalhes: ErrorDetail[] = [];
  if (input.tipo === "K") {
    if (!input.kit || input.kit.length === 0) detalhes.push({ campo: "kit", mensagem: "Informe os produtos que compõem o kit" });
    else detalhes.push(...validateComponents(state, input.kit, "kit"));
  }
  const skus = new Set<string>([input.sku]);
  (input.variacoes ?? []).forEach((v, i) => {
    if (v.sku && skus.has(v.sku)) detalhes.push({ campo: `variacoes[${i}].sku`, mensagem: `Código '${v.sku}' repetido` });
    if (v.sku) skus.add(v.sku);
  });
  if (detalhes.length > 0) throw validation(detalhes);

  const p = blankProduct(allocateId(state), input.sku, input.descricao, spDateTime(ctx.clock.now()));
  p.tipo = input.tipo;
  applyCommon(p, { ...input, estoque: input.estoque ?? null });
  if (input.anexos) p.anexos = input.anexos.map((a) => ({ url: a.url ?? "", externo: a.externo ?? false }));
  if (input.kit) p.kit = input.kit.map((k) => ({ produtoId: k.produto.id, quantidade: k.quantidade }));
  if (input.producao) p.producao = { produtos: (input.producao.produtos ?? []).map((x) => ({ produtoId: x.produto.id, quantidade: x.quantidade })), etapas: input.producao.etapas ?? [] };
  state.products.set(p.id, p);
  state.skuIndex.set(p.sku, p.id);

  const variations = (input.variacoes ?? []).map((v, i) => addVariation(ctx, p, v, `variacoes[${i}]`));
  if (variations.length > 0) p.tipo = "V";
  const inicial = input.estoque?.inicial ?? 0;
  if (inicial !== 0 && p.tipo !== "K" && p.tipo !== "V") {
    postMovement(ctx, {
      productId: p.id,
      depositId: defaultDeposit(state).id,
      tipo: "B",
      quantidade: inicial,
      preco: p.precos.precoCusto,
      observacao: "Estoque inicial",
      origem: "api",
      idOrigem: null,
    });
  }
  ctx.changed();
  return { product: p, variations };
}

function tipoVariacao(p: Product): "N" | "P" | "V" {
  if (p.parentId !== null) return "V";
  return p.tipo === "V" ? "P" : "N";
}

export function productListItem(p: Product) {
  return {
    id: p.id,
    sku: p.sku,
    descricao: p.descricao,
    tipo: p.tipo,
    situacao: p.situacao,
    dataCriacao: p.dataCriacao,
    dataAlteracao: p.dataAlteracao,
    unidade: p.unidade,
    gtin: p.gtin,
    tipoVariacao: tipoVariacao(p),
    precos: { ...p.precos },
  };
}

const ref = (p: Product | undefined) => (p ? { id: p.id, sku: p.sku, descricao: p.descricao } : { id: null, sku: null, descricao: null });

function stockBlock(state: TinyState, p: Product) {
  return { ...p.estoque, quantidade: totalSaldo(state, p.id) };
}

/** ObterProdutoModelResponse's own nullable strings: where the sandbox may say "no value" as null or "". */
const productNullableStrings = ["sku", "descricao", "descricaoComplementar", "unidade", "unidadePorCaixa", "ncm", "gtin", "garantia", "observacoes"];

export function productDetail(state: TinyState, p: Product) {
  const parent = p.parentId !== null ? state.products.get(p.parentId) : undefined;
  return {
    id: p.id,
    sku: p.sku,
    descricao: p.descricao,
    descricaoComplementar: p.descricaoComplementar,
    tipo: p.tipo,
    situacao: p.situacao,
    // A product without a parent names an empty reference, as Tiny does (id, sku and descricao null).
    produtoPai: ref(parent),
    tipoVariacao: tipoVariacao(p),
    unidade: p.unidade,
    unidadePorCaixa: p.unidadePorCaixa,
    ncm: p.ncm,
    gtin: p.gtin,
    // The spec declares origem as a string with integer enum values; the string form is what its type says.
    origem: String(p.origem),
    garantia: p.garantia,
    observacoes: p.observacoes,
    categoria: p.categoria ?? { id: null, nome: null, caminhoCompleto: null },
    marca: p.marca ?? { id: null, nome: null },
    dimensoes: { ...p.dimensoes, embalagem: p.dimensoes.embalagem ?? { id: null, tipo: 0, descricao: null } },
    precos: { ...p.precos },
    estoque: stockBlock(state, p),
    fornecedores: p.fornecedores,
    seo: p.seo,
    tributacao: p.tributacao,
    anexos: p.anexos,
    variacoes: p.variationIds
      .map((id) => state.products.get(id))
      .filter((v): v is Product => v !== undefined && v.situacao !== "E")
      .map((v) => ({ id: v.id, descricao: v.descricao, sku: v.sku, gtin: v.gtin, precos: { ...v.precos }, estoque: stockBlock(state, v), grade: v.grade })),
    kit: p.kit.map((k) => ({ produto: ref(state.products.get(k.produtoId)), quantidade: k.quantidade })),
    producao: { produtos: p.producao.produtos.map((x) => ({ produto: ref(state.products.get(x.produtoId)), quantidade: x.quantidade })), etapas: p.producao.etapas },
  };
}

function touch(ctx: TinyContext, p: Product): void {
  p.dataAlteracao = spDateTime(ctx.clock.now());
  ctx.changed();
}

export function registerProductRoutes(api: Hono, ctx: TinyContext): void {
  api.get("/produtos", (c) => {
    const { state } = ctx;
    const page = readPage(c, ctx.settings.maxLimit);
    const nome = queryStr(c, "nome")?.toLocaleLowerCase("pt-BR");
    const codigo = queryStr(c, "codigo");
    const gtin = queryInt(c, "gtin");
    const situacao = queryStr(c, "situacao");
    const dataCriacao = queryStr(c, "dataCriacao");
    const dataAlteracao = queryStr(c, "dataAlteracao");
    const detalhes: ErrorDetail[] = [];
    if (situacao !== undefined && !["A", "I", "E"].includes(situacao)) detalhes.push({ campo: "situacao", mensagem: "Valores aceitos: A, I, E" });
    for (const [campo, v] of [
      ["dataCriacao", dataCriacao],
      ["dataAlteracao", dataAlteracao],
    ] as const) {
      if (v !== undefined && !isDateTime(v)) detalhes.push({ campo, mensagem: "Data inválida, use o formato AAAA-MM-DD HH:MM:SS" });
    }
    if (detalhes.length > 0) throw validation(detalhes);
    const criadoDesde = dataCriacao ? normalizeDateTime(dataCriacao) : undefined;
    const alteradoDesde = dataAlteracao ? normalizeDateTime(dataAlteracao) : undefined;

    let candidates: Iterable<Product>;
    if (codigo !== undefined) {
      const id = state.skuIndex.get(codigo);
      const hit = id !== undefined ? state.products.get(id) : undefined;
      candidates = hit ? [hit] : [];
    } else candidates = state.products.values();
    const keep = (p: Product) => {
      if (situacao ? p.situacao !== situacao : p.situacao === "E") return false;
      if (nome !== undefined && !p.descricao.toLocaleLowerCase("pt-BR").includes(nome)) return false;
      if (gtin !== undefined && p.gtin !== String(gtin)) return false;
      if (criadoDesde && p.dataCriacao < criadoDesde) return false;
      if (alteradoDesde && (p.dataAlteracao ?? p.dataCriacao) < alteradoDesde) return false;
      return true;
    };
    return c.json(paginateWhere(candidates, keep, page, (p) => withBlanks(state.seed, `produto:${p.id}`, productListItem(p), ["dataCriacao", "dataAlteracao"])));
  });

  api.post("/produtos", async (c) => {
    const input = await readBody(c, createSchema);
    const { product, variations } = createProduct(ctx, input);
    return c.json({
      id: product.id,
      codigo: product.sku,
      descricao: product.descricao,
      variacoes: variations.map((v) => ({ id: v.id, codigo: v.sku, descricao: v.descricao })),
    });
  });

  api.get("/produtos/:idProduto", (c) => {
    const p = getProduct(ctx.state, pathId(c, "idProduto"));
    return c.json(withBlanks(ctx.state.seed, `produto:${p.id}`, productDetail(ctx.state, p), productNullableStrings));
  });

  api.put("/produtos/:idProduto", async (c) => {
    const p = getProduct(ctx.state, pathId(c, "idProduto"));
    const input = await readBody(c, updateSchema);
    if (input.sku != null && input.sku !== p.sku) {
      assertSkuFree(ctx.state, input.sku, "sku", p.id);
      ctx.state.skuIndex.delete(p.sku);
      p.sku = input.sku;
      ctx.state.skuIndex.set(p.sku, p.id);
    }
    applyCommon(p, input);
    touch(ctx, p);
    return c.body(null, 204);
  });

  // Newer specs: logical delete that frees the SKU.
  api.delete("/produtos/:idProduto", (c) => {
    const p = getProduct(ctx.state, pathId(c, "idProduto"));
    p.situacao = "E";
    ctx.state.skuIndex.delete(p.sku);
    touch(ctx, p);
    return c.body(null, 204);
  });

  api.put("/produtos/:idProduto/preco", async (c) => {
    const p = getProduct(ctx.state, pathId(c, "idProduto"));
    const input = await readBody(c, z.object({ preco: num, precoPromocional: num }));
    if (input.preco != null) p.precos.preco = input.preco;
    if (input.precoPromocional != null) p.precos.precoPromocional = input.precoPromocional;
    touch(ctx, p);
    return c.json({ preco: p.precos.preco, precoPromocional: p.precos.precoPromocional });
  });

  api.post("/produtos/:idProduto/variacoes", async (c) => {
    const parent = getProduct(ctx.state, pathId(c, "idProduto"));
    if (parent.parentId !== null || parent.tipo === "K") throw validation([{ campo: "idProduto", mensagem: "O produto não aceita variações" }]);
    const input = await readBody(c, variacaoSchema);
    const child = addVariation(ctx, parent, input, "variacao");
    parent.tipo = "V";
    touch(ctx, parent);
    return c.json({ id: child.id, codigo: child.sku, descricao: child.descricao });
  });

  const variationOf = (parentId: number, variationId: number): Product => {
    const parent = getProduct(ctx.state, parentId);
    const child = ctx.state.products.get(variationId);
    if (!child || child.situacao === "E" || child.parentId !== parent.id) throw notFound("Variação não encontrada");
    return child;
  };

  api.put("/produtos/:idProduto/variacoes/:idVariacao", async (c) => {
    const child = variationOf(pathId(c, "idProduto"), pathId(c, "idVariacao"));
    const input = await readBody(c, z.object({ ...produtoModel, estoque: estoqueCfgSchema.nullish(), grade: gradeSchema }));
    if (input.sku != null && input.sku !== child.sku) {
      assertSkuFree(ctx.state, input.sku, "sku", child.id);
      ctx.state.skuIndex.delete(child.sku);
      child.sku = input.sku;
      ctx.state.skuIndex.set(child.sku, child.id);
    }
    applyCommon(child, input);
    if (input.grade) child.grade = input.grade.map((g) => ({ chave: g.chave ?? "", valor: g.valor ?? "" }));
    touch(ctx, child);
    return c.body(null, 204);
  });

  api.delete("/produtos/:idProduto/variacoes/:idVariacao", (c) => {
    const parentId = pathId(c, "idProduto");
    const child = variationOf(parentId, pathId(c, "idVariacao"));
    const parent = getProduct(ctx.state, parentId);
    child.situacao = "E";
    ctx.state.skuIndex.delete(child.sku);
    parent.variationIds = parent.variationIds.filter((id) => id !== child.id);
    touch(ctx, parent);
    return c.body(null, 204);
  });

  api.get("/produtos/:idProduto/kit", (c) => {
    const p = getProduct(ctx.state, pathId(c, "idProduto"));
    return c.json(
      withBlanks(
        ctx.state.seed,
        `kit:${p.id}`,
        p.kit.map((k) => ({ produto: ref(ctx.state.products.get(k.produtoId)), quantidade: k.quantidade })),
      ),
    );
  });

  api.put("/produtos/:idProduto/kit", async (c) => {
    const p = getProduct(ctx.state, pathId(c, "idProduto"));
    if (p.tipo !== "K") throw new TinyError(400, "O produto não é do tipo kit");
    const input = await readBody(c, kitSchema);
    const detalhes = validateComponents(ctx.state, input, "kit");
    if (detalhes.length > 0) throw validation(detalhes);
    p.kit = input.map((k) => ({ produtoId: k.produto.id, quantidade: k.quantidade }));
    touch(ctx, p);
    return c.body(null, 204);
  });
}
