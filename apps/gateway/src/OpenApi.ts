/**
 * The OpenAPI 3.1 document, generated from the route table and its Schemas (JSON Schema 2020-12, which
 * OpenAPI 3.1 uses as is).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Route } from "./Route.ts"

const jsonSchema = (schema: Schema.Top): unknown => {
  const doc = Schema.toJsonSchemaDocument(schema)
  const text = JSON.stringify(doc.schema).replaceAll('"#/$defs/', '"#/components/schemas/')
  return JSON.parse(text)
}

const definitions = (routes: ReadonlyArray<Route>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const route of routes) {
    for (const schema of [route.body, ...Object.values(route.responses).map((r) => r.schema)]) {
      if (schema === undefined) continue
      const defs = Schema.toJsonSchemaDocument(schema).definitions
      for (const [name, def] of Object.entries(defs)) out[name] = JSON.parse(JSON.stringify(def).replaceAll('"#/$defs/', '"#/components/schemas/'))
    }
  }
  return out
}

const cache = new WeakMap<ReadonlyArray<Route>, Record<string, unknown>>()

/**
 * @since 0.1.0
 * @category constructors
 */
export const openApiDocument = (routes: ReadonlyArray<Route>): Record<string, unknown> => {
  const cached = cache.get(routes)
  if (cached !== undefined) return cached
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }))
    const responses: Record<string, unknown> = {}
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = r.schema === undefined && r.contentType === undefined
        ? { description: r.description }
        : { description: r.description, content: { [r.contentType ?? "application/json"]: { schema: r.schema === undefined ? { type: "string" } : jsonSchema(r.schema) } } }
    }
    paths[route.path] ??= {}
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(route.body === undefined
        ? {}
        : { requestBody: { required: route.bodyOptional !== true, content: { "application/json": { schema: jsonSchema(route.body) } } } }),
      ...(route.auth ? { security: [{ bearer: [] }, { apiKey: [] }] } : { security: [] }),
      responses
    }
  }
  const document = {
    openapi: "3.1.0",
    info: {
      title: "robovla gateway",
      version: "0.1.0",
      description: "Serves robot policies: REST (this document) and an openpi-compatible msgpack WebSocket at /ws/{id} and /. Actions are N×7, denormalised, gripper ±1."
    },
    servers: [{ url: "http://127.0.0.1:8000" }],
    paths,
    components: {
      schemas: definitions(routes),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "x-api-key" }
      }
    }
  }
  cache.set(routes, document)
  return document
}
