/**
 * The shape of a REST route: method, path, schemas and handler. The route table (`Routes.ts`) is made of these,
 * and `OpenApi.ts` documents any such table without importing it.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import type { Context } from "hono"
import type { Gateway } from "./Gateway.ts"

/**
 * What a handler receives: path parameters, the decoded body, the gateway, and when the request arrived.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouteContext {
  readonly params: Readonly<Record<string, string>>
  readonly body: any
  readonly gateway: Gateway
  readonly startedAt: number
  readonly c: Context
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RouteResponse {
  readonly description: string
  readonly schema?: Schema.Top
  /** Defaults to application/json. */
  readonly contentType?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Route {
  readonly method: "get" | "post" | "delete"
  /** OpenAPI template, e.g. `/v1/policies/{id}`. */
  readonly path: string
  readonly operationId: string
  readonly summary: string
  readonly tag: "policies" | "sessions" | "admin" | "operations" | "websocket"
  /** Needs an API key when the gateway has any. */
  readonly auth: boolean
  /** Counted for graceful drain and refused while draining. */
  readonly drains: boolean
  readonly body?: Schema.Top
  /** The body may be empty (then decoded as `{}`). */
  readonly bodyOptional?: boolean
  readonly responses: Readonly<Record<number, RouteResponse>>
  readonly handler: (ctx: RouteContext) => Promise<Response>
}
