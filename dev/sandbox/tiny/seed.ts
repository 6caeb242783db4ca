import { ean13 } from "../common/gtin";
import { createRng, type Rng } from "../common/rng";
import { spDateTime } from "./dates";
import { emptyEndereco, setSaldo, type Contact, type Product, type TinyState } from "./state";

// The seed builds the same Tiny account for the same number: tests can pin ids and SKUs, and the
// ML sandbox seeded with the same number lists the same SKUs, so the two sides can be linked.

export interface SeedOptions {
  seed: number;
  products: number;
  /** SKU of the n-th product (1-based); must match the ML sandbox's seller SKUs. */
  skuFor?: (n: number) => string;
  /** Explicit SKUs (e.g. read from the ML sandbox's demo seller); overrides products/skuFor. */
  skus?: string[];
}

export const DEFAULT_SEED = 42;
export const DEFAULT_PRODUCTS = 50;

export const defaultSkuFor = (n: number): string => `SKU-${n}`;

/** Seed products are stamped from a fixed instant so a seed is reproducible on any day. */
const SEED_EPOCH = Date.UTC(2026, 0, 5, 12, 0, 0);

const COMPANY_A = ["Casa", "Mundo", "Ponto", "Vila", "Estação", "Armazém", "Empório", "Oficina"];
const COMPANY_B = ["Azul", "do Lar", "Criativo", "Paulista", "Brasil", "Digital", "da Moda", "Esportivo"];
const PRODUCT_NOUNS = [
  "Camiseta",
  "Caneca",
  "Mochila",
  "Fone de Ouvido",
  "Garrafa Térmica",
  "Luminária",
  "Tênis",
  "Relógio",
  "Capa de Celular",
  "Cadeira",
  "Panela",
  "Tapete",
  "Carregador",
  "Boné",
  "Jaqueta",
];
const PRODUCT_ADJ = ["Básica", "Premium", "Esportiva", "Clássica", "Slim", "Compacta", "Profissional", "Infantil", "Vintage", "Ergonômica"];
const COLORS = ["Azul", "Preto", "Branco", "Vermelho", "Verde", "Cinza", "Rosa", "Amarelo"];
const SIZES = ["P", "M", "G", "GG", "Único"];
const FIRST = ["Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Heitor", "Isabela", "João"];
const LAST = ["Silva", "Souza", "Oliveira", "Santos", "Pereira", "Lima", "Costa", "Ribeiro"];
const CITIES: Array<[string, string, string, string]> = [
  ["São Paulo", "SP", "01310-100", "11"],
  ["Campinas", "SP", "13010-001", "19"],
  ["Rio de Janeiro", "RJ", "20040-002", "21"],
  ["Belo Horizonte", "MG", "30130-003", "31"],
  ["Curitiba", "PR", "80010-000", "41"],
];
const STREETS = ["Rua XV de Novembro", "Avenida Brasil", "Rua das Flores", "Avenida Central", "Rua Sete de Setembro"];

function checkDigitsMod11(base: string, weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < base.length; i++) sum += Number(base[i]) * (weights[i] ?? 0);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

/** A CNPJ with valid check digits, so clients that validate documents accept it. */
export function makeCnpj(rng: Rng): string {
  const base = `${rng.digits(8)}0001`;
  const d1 = checkDigitsMod11(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = checkDigitsMod11(base + d1, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return `${base}${d1}${d2}`;
}

export function makeCpf(rng: Rng): string {
  const base = rng.digits(9);
  const d1 = checkDigitsMod11(base, [10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = checkDigitsMod11(base + d1, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  return `${base}${d1}${d2}`;
}

export function formatCnpj(digits: string): string {
  return digits.replace(/^(\d{2})(\d{3})(\d{3})(\d{4})(\d{2})$/, "$1.$2.$3/$4-$5");
}

/** EAN-13 with a correct check digit (prefix 789 = Brazil). */
export function makeGtin(rng: Rng): string {
  return ean13(`789${rng.digits(9)}`);
}

const money = (n: number): number => Math.round(n * 100) / 100;

export function blankProduct(id: number, sku: string, descricao: string, stamp: string): Product {
  return {
    id,
    sku,
    descricao,
    descricaoComplementar: "",
    tipo: "S",
    situacao: "A",
    dataCriacao: stamp,
    dataAlteracao: null,
    unidade: "UN",
    unidadePorCaixa: "1",
    ncm: "",
    gtin: "",
    origem: 0,
    garantia: "",
    observacoes: "",
    marca: null,
    categoria: null,
    precos: { preco: 0, precoPromocional: 0, precoCusto: 0, precoCustoMedio: 0 },
    dimensoes: { embalagem: null, largura: 0, altura: 0, comprimento: 0, diametro: 0, pesoLiquido: 0, pesoBruto: 0, quantidadeVolumes: 1 },
    estoque: { controlar: true, sobEncomenda: false, diasPreparacao: 0, localizacao: "", minimo: 0, maximo: 0 },
    fornecedores: [],
    seo: { titulo: "", descricao: "", keywords: [], linkVideo: "", slug: "" },
    tributacao: { gtinEmbalagem: "", valorIPIFixo: 0, classeIPI: "" },
    anexos: [],
    parentId: null,
    grade: [],
    variationIds: [],
    kit: [],
    producao: { produtos: [], etapas: [] },
  };
}

export function blankContact(id: number, nome: string, stamp: string): Contact {
  return {
    id,
    nome,
    codigo: "",
    fantasia: "",
    tipoPessoa: "F",
    cpfCnpj: "",
    inscricaoEstadual: "",
    rg: "",
    telefone: "",
    celular: "",
    email: "",
    endereco: emptyEndereco(),
    enderecoCobranca: emptyEndereco(),
    inscricaoMunicipal: "",
    telefoneAdicional: "",
    emailNfe: "",
    site: "",
    regimeTributario: null,
    estadoCivil: null,
    profissao: "",
    sexo: null,
    dataNascimento: "",
    naturalidade: "",
    nomePai: "",
    nomeMae: "",
    cpfPai: "",
    cpfMae: "",
    limiteCredito: 0,
    situacao: "B",
    observacoes: "",
    vendedorId: null,
    tipos: [],
    pessoas: [],
    dataCriacao: stamp,
    dataAtualizacao: stamp,
  };
}

export function buildSeedState(opts: SeedOptions): TinyState {
  const root = createRng(opts.seed);
  const accountRng = root.fork("account");
  const productRng = root.fork("products");
  const contactRng = root.fork("contacts");
  const skuFor = opts.skuFor ?? defaultSkuFor;

  const [city, uf, cep, ddd] = accountRng.pick(CITIES);
  const name = `${accountRng.pick(COMPANY_A)} ${accountRng.pick(COMPANY_B)}`;
  let nextId = 300_000_000 + accountRng.int(0, 9_999) * 10_000;
  const id = () => nextId++;

  const state: TinyState = {
    seed: opts.seed,
    account: {
      id: `tiny-${opts.seed}`,
      razaoSocial: `${name} Comércio Eletrônico LTDA`,
      fantasia: name,
      cnpj: makeCnpj(accountRng),
      inscricaoEstadual: accountRng.digits(12),
      regimeTributario: 1,
      fone: `(${ddd}) 3${accountRng.digits(3)}-${accountRng.digits(4)}`,
      email: `contato@${name
        .toLowerCase()
        .normalize("NFD")
        .replace(/[^a-z]/g, "")}.com.br`,
      endereco: { ...emptyEndereco(), endereco: accountRng.pick(STREETS), numero: String(accountRng.int(100, 2999)), bairro: "Centro", municipio: city, cep, uf, pais: "Brasil" },
      disponivelSempreZero: false,
    },
    lookups: {
      ecommerces: [{ id: id(), nome: "Mercado Livre" }],
      // tipo per the spec's enum: 3 Mercado Envios, 1 Correios, 2 Transportadora.
      formasEnvio: [
        {
          id: id(),
          nome: "Mercado Envios",
          situacao: 1,
          tipo: 3,
          formasFrete: [
            { id: id(), nome: "Mercado Envios Normal", codigo: "ME-NORMAL", codigoExterno: "", tipoEntrega: 1 },
            { id: id(), nome: "Mercado Envios Flex", codigo: "ME-FLEX", codigoExterno: "", tipoEntrega: 2 },
          ],
        },
        {
          id: id(),
          nome: "Correios",
          situacao: 1,
          tipo: 1,
          formasFrete: [
            { id: id(), nome: "PAC", codigo: "03298", codigoExterno: "", tipoEntrega: 4 },
            { id: id(), nome: "SEDEX", codigo: "03220", codigoExterno: "", tipoEntrega: 2 },
          ],
        },
        { id: id(), nome: "Transportadora (desabilitada)", situacao: 2, tipo: 2, formasFrete: [] },
      ],
      formasPagamento: [
        { id: 1, nome: "Múltiplas", situacao: 1 },
        { id: id(), nome: "Mercado Pago", situacao: 1 },
      ],
      meiosPagamento: [
        { id: id(), nome: "Cartão de crédito" },
        { id: id(), nome: "Pix" },
        { id: id(), nome: "Boleto" },
      ],
      // Marketplace intermediary as NF-e requires it (CNPJ of Mercado Livre's operating company).
      intermediadores: [{ id: id(), nome: "Mercado Livre", cnpj: "03.007.331/0001-41" }],
      naturezasOperacao: [{ id: id(), nome: "Venda de mercadorias" }],
      vendedores: [],
      tiposContato: [
        { id: id(), nome: "Cliente", perfilContato: "1" },
        { id: id(), nome: "Fornecedor", perfilContato: "2" },
      ],
    },
    nextId: 0,
    nextNumeroPedido: 1,
    nextNumeroNota: 1,
    deposits: [],
    products: new Map(),
    skuIndex: new Map(),
    stock: new Map(),
    movements: [],
    contacts: new Map(),
    orders: new Map(),
    orderHashes: new Map(),
    invoices: new Map(),
    groupings: new Map(),
    receivables: new Map(),
    oauthCodes: new Map(),
    oauthSessions: new Map(),
  };

  const geral = { id: id(), descricao: "Geral", tipo: "P" as const, desconsideraSaldo: false, padrao: true, possuiReserva: true };
  const full = { id: id(), descricao: "Mercado Livre Full", tipo: "E" as const, desconsideraSaldo: true, padrao: false, possuiReserva: false };
  state.deposits.push(geral, full);

  const count = opts.skus ? opts.skus.length : opts.products;
  for (let n = 1; n <= count; n++) {
    const descricao = `${productRng.pick(PRODUCT_NOUNS)} ${productRng.pick(PRODUCT_ADJ)} ${productRng.pick(COLORS)} ${productRng.pick(SIZES)}`;
    const p = blankProduct(id(), opts.skus?.[n - 1] ?? skuFor(n), descricao, spDateTime(SEED_EPOCH + n * 60_000));
    const preco = money(productRng.int(1990, 49990) / 100);
    p.precos = { preco, precoPromocional: productRng.chance(0.2) ? money(preco * 0.9) : 0, precoCusto: money(preco * 0.4), precoCustoMedio: money(preco * 0.42) };
    p.gtin = makeGtin(productRng);
    p.ncm = "6109.10.00";
    p.dimensoes = { ...p.dimensoes, largura: 20, altura: 5, comprimento: 30, pesoLiquido: 0.3, pesoBruto: 0.35 };
    state.products.set(p.id, p);
    state.skuIndex.set(p.sku, p.id);
    // About one product in ten starts out of stock: sync code must cope with zero balances.
    setSaldo(state, p.id, geral.id, productRng.chance(0.1) ? 0 : productRng.int(1, 100));
  }

  const stamp = spDateTime(SEED_EPOCH);
  for (let i = 0; i < 3; i++) {
    const [cCity, cUf, cCep, cDdd] = contactRng.pick(CITIES);
    const c = blankContact(id(), `${contactRng.pick(FIRST)} ${contactRng.pick(LAST)}`, stamp);
    c.cpfCnpj = makeCpf(contactRng);
    c.email = `${c.nome
      .toLowerCase()
      .normalize("NFD")
      .replace(/[^a-z ]/g, "")
      .replace(" ", ".")}@example.com`;
    c.celular = `(${cDdd}) 9${contactRng.digits(4)}-${contactRng.digits(4)}`;
    c.endereco = { ...emptyEndereco(), endereco: contactRng.pick(STREETS), numero: String(contactRng.int(1, 999)), bairro: "Centro", municipio: cCity, cep: cCep, uf: cUf, pais: "Brasil" };
    state.contacts.set(c.id, c);
  }

  state.nextId = nextId;
  return state;
}
