import { z } from "zod";
import type { CallOptions, TinyAccountClient } from "./client";
import { paginationModel } from "./schemas";
import { callSignal, tinyId, tinyOptStr, tinyRef } from "./wire";

/**
 * Typed helpers for /contatos (tiny-v3-openapi.json models named in each comment), built on the
 * client's `request`, so every call keeps the company quota, token renewal and error mapping.
 */

/** EnderecoModel. */
export const addressModel = z.looseObject({
  endereco: tinyOptStr,
  numero: tinyOptStr,
  complemento: tinyOptStr,
  bairro: tinyOptStr,
  municipio: tinyOptStr,
  cep: tinyOptStr,
  uf: tinyOptStr,
  pais: tinyOptStr,
});

/** VendedorResponseModel. */
export const sellerRefModel = z.looseObject({ id: tinyId, nome: tinyOptStr });

/** ListagemContatoModelResponse (GET /contatos items). */
export const contactModel = z.looseObject({
  id: tinyId,
  nome: tinyOptStr,
  codigo: tinyOptStr,
  fantasia: tinyOptStr,
  tipoPessoa: tinyOptStr,
  cpfCnpj: tinyOptStr,
  inscricaoEstadual: tinyOptStr,
  rg: tinyOptStr,
  telefone: tinyOptStr,
  celular: tinyOptStr,
  email: tinyOptStr,
  endereco: addressModel.nullish().transform((v) => v ?? null),
  vendedor: tinyRef(sellerRefModel),
  situacao: tinyOptStr,
  dataCriacao: tinyOptStr,
  dataAtualizacao: tinyOptStr,
});

export const contactPageModel = z.looseObject({ itens: z.array(contactModel), paginacao: paginationModel });

/** CriarContatoModelResponse. */
export const createdContactModel = z.looseObject({ id: tinyId });

export type TinyContact = z.output<typeof contactModel>;
export type TinyContactPage = z.output<typeof contactPageModel>;

/** Query filters of GET /contatos (ListarContatosAction) we send. */
export interface TinyContactFilters {
  nome?: string | undefined;
  codigo?: string | undefined;
  /** Digits; Tiny matches formatted and unformatted documents alike. */
  cpfCnpj?: string | undefined;
  situacao?: "B" | "A" | "I" | "E" | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** The CriarAtualizarContatoModelRequest fields the customer sync writes; PUT changes only what is sent. */
export interface TinyContactWrite {
  nome?: string;
  codigo?: string;
  tipoPessoa?: "F" | "J" | "E" | "X";
  cpfCnpj?: string;
}

export const tinyContactsSpecModels = {
  EnderecoModel: addressModel,
  VendedorResponseModel: sellerRefModel,
  ListagemContatoModelResponse: contactModel,
  CriarContatoModelResponse: createdContactModel,
} as const;

export function tinyContactsApi(client: TinyAccountClient) {
  return {
    /** GET /contatos — one page. */
    list: async (filters: TinyContactFilters, options?: CallOptions): Promise<TinyContactPage> =>
      (
        await client.request({
          method: "GET",
          path: "/contatos",
          query: { nome: filters.nome, codigo: filters.codigo, cpfCnpj: filters.cpfCnpj, situacao: filters.situacao, limit: filters.limit, offset: filters.offset },
          schema: contactPageModel,
          ...callSignal(options),
        })
      ).data,
    /** POST /contatos → {id}. */
    create: async (input: TinyContactWrite & { nome: string }, options?: CallOptions): Promise<number> =>
      (await client.request({ method: "POST", path: "/contatos", body: input, schema: createdContactModel, ...callSignal(options) })).data.id,
    /** PUT /contatos/{idContato} → 204; a merge, like every Tiny PUT we know. */
    update: async (contactId: number, changes: TinyContactWrite, options?: CallOptions): Promise<void> => {
      await client.request({ method: "PUT", path: `/contatos/${contactId}`, body: changes, ...callSignal(options) });
    },
  };
}

export type TinyContactsApi = ReturnType<typeof tinyContactsApi>;
