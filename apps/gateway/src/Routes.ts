/**
 * The route table: every REST route with its method, path, schemas and handler. `App.ts` mounts these on
 * Hono and `OpenApi.ts` documents exactly these, so the document lists the real routes and nothing else.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Wire } from "@robovla/client"
import { DeploymentSpec } from "./Config.ts"
import { openApiDocument } from "./OpenApi.ts"
import type { Route, RouteContext } from "./Route.ts"
import { GatewayError } from "./GatewayError.ts"

export type { Route, RouteContext, RouteResponse } from "./Route.ts"

const json = (ctx: RouteContext, body: unknown, status = 200): Response => ctx.c.json(body as object, status as 200)

const E400 = { description: "Bad JSON or a bad field (named in error.field)", schema: Wire.ErrorBody }
const E401 = { description: "Missing or unknown API key", schema: Wire.ErrorBody }
const E404 = { description: "Unknown policy or session", schema: Wire.ErrorBody }
const E413 = { description: "Body too large", schema: Wire.ErrorBody }
const E415 = { description: "Body is not application/json", schema: Wire.ErrorBody }
const E422 = { description: "The policy rejected this input (e.g. an instruction it has no task for)", schema: Wire.ErrorBody }
const E429 = { description: "Rate limited (see Retry-After)", schema: Wire.ErrorBody }
const E502 = { description: "The policy failed, crashed or could not load", schema: Wire.ErrorBody }
const E503 = { description: "Overloaded or draining (see Retry-After)", schema: Wire.ErrorBody }
const E504 = { description: "The policy did not answer within its timeout", schema: Wire.ErrorBody }
const callErrors = { 400: E400, 401: E401, 404: E404, 413: E413, 415: E415, 422: E422, 429: E429, 502: E502, 503: E503, 504: E504 }

const SessionBody = Schema.Struct({})

/**
 * Every REST route of the gateway.
 *
 * @since 0.1.0
 * @category routes
 */
export const routes: ReadonlyArray<Route> = [
  {
    method: "get",
    path: "/",
    operationId: "index",
    summary: "Service index; a WebSocket upgrade here talks to the default policy (openpi clients)",
    tag: "operations",
    auth: false,
    drains: false,
    responses: { 200: { description: "Index", schema: Wire.Index } },
    handler: async (ctx) =>
      json(ctx, {
        name: "robovla gateway",
        openapi: "/openapi.json",
        websocket: "/ws/{id}",
        ...(ctx.gateway.defaultDeployment === undefined ? {} : { default_policy: ctx.gateway.defaultDeployment })
      })
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This OpenAPI 3.1 document",
    tag: "operations",
    auth: false,
    drains: false,
    responses: { 200: { description: "OpenAPI document" } },
    handler: async (ctx) => json(ctx, openApiDocument(routes))
  },
  {
    method: "get",
    path: "/healthz",
    operationId: "health",
    summary: "Liveness: the process answers",
    tag: "operations",
    auth: false,
    drains: false,
    responses: { 200: { description: "Alive", schema: Wire.Health } },
    handler: async (ctx) => json(ctx, { status: "ok" })
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "ready",
    summary: "Readiness: not draining and every preloaded policy is warm",
    tag: "operations",
    auth: false,
    drains: false,
    responses: { 200: { description: "Ready", schema: Wire.Health }, 503: { description: "Starting or draining", schema: Wire.Health } },
    handler: async (ctx) => {
      if (ctx.gateway.draining) return json(ctx, { status: "draining" }, 503)
      const waiting = [...ctx.gateway.deployments.values()].some((d) => d.config.preload && d.state !== "warm")
      return waiting ? json(ctx, { status: "starting" }, 503) : json(ctx, { status: "ready" })
    }
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics (text format 0.0.4)",
    tag: "operations",
    auth: true,
    drains: false,
    responses: { 200: { description: "Metrics", contentType: "text/plain; version=0.0.4" }, 401: E401 },
    handler: async (ctx) => ctx.c.text(ctx.gateway.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
  },
  {
    method: "get",
    path: "/v1/policies",
    operationId: "listPolicies",
    summary: "List deployed policies",
    tag: "policies",
    auth: true,
    drains: true,
    responses: { 200: { description: "Policies", schema: Wire.PolicyList }, 401: E401, 429: E429 },
    handler: async (ctx) => json(ctx, { policies: [...ctx.gateway.deployments.values()].map((d) => ctx.gateway.info(d)) })
  },
  {
    method: "get",
    path: "/v1/policies/{id}",
    operationId: "getPolicy",
    summary: "One policy: state and metadata (metadata once it has loaded)",
    tag: "policies",
    auth: true,
    drains: true,
    responses: { 200: { description: "Policy", schema: Wire.PolicyInfo }, 401: E401, 404: E404, 429: E429 },
    handler: async (ctx) => json(ctx, ctx.gateway.info(ctx.gateway.deployment(ctx.params["id"]!)))
  },
  {
    method: "post",
    path: "/v1/policies/{id}/act",
    operationId: "act",
    summary: "Stateless call: one observation in, a chunk of N×7 actions out (fresh policy history)",
    tag: "policies",
    auth: true,
    drains: true,
    body: Wire.ActRequest,
    responses: { 200: { description: "Actions", schema: Wire.ActResponse }, ...callErrors },
    handler: async (ctx) =>
      json(ctx, await ctx.gateway.act(ctx.params["id"]!, null, ctx.body.observation, ctx.body.instruction, ctx.startedAt))
  },
  {
    method: "post",
    path: "/v1/policies/{id}/sessions",
    operationId: "createSession",
    summary: "Open a session: server-side history (one policy instance) for a sequence of calls",
    tag: "sessions",
    auth: true,
    drains: true,
    body: SessionBody,
    bodyOptional: true,
    responses: { 201: { description: "Session", schema: Wire.SessionCreated }, ...callErrors },
    handler: async (ctx) => {
      const id = ctx.params["id"]!
      const sid = await ctx.gateway.deployment(id).createSession()
      return json(ctx, { session_id: sid, policy_id: id }, 201)
    }
  },
  {
    method: "post",
    path: "/v1/policies/{id}/sessions/{sid}/act",
    operationId: "sessionAct",
    summary: "Act within a session (uses and extends its history)",
    tag: "sessions",
    auth: true,
    drains: true,
    body: Wire.ActRequest,
    responses: { 200: { description: "Actions", schema: Wire.ActResponse }, ...callErrors },
    handler: async (ctx) =>
      json(ctx, await ctx.gateway.act(ctx.params["id"]!, ctx.params["sid"]!, ctx.body.observation, ctx.body.instruction, ctx.startedAt))
  },
  {
    method: "post",
    path: "/v1/policies/{id}/sessions/{sid}/reset",
    operationId: "sessionReset",
    summary: "Clear a session's history (start of a new subtask)",
    tag: "sessions",
    auth: true,
    drains: true,
    body: SessionBody,
    bodyOptional: true,
    responses: { 200: { description: "Reset", schema: Wire.Ok }, ...callErrors },
    handler: async (ctx) => {
      await ctx.gateway.deployment(ctx.params["id"]!).resetSession(ctx.params["sid"]!)
      return json(ctx, { ok: true })
    }
  },
  {
    method: "delete",
    path: "/v1/policies/{id}/sessions/{sid}",
    operationId: "deleteSession",
    summary: "End a session",
    tag: "sessions",
    auth: true,
    drains: true,
    responses: { 200: { description: "Deleted", schema: Wire.Ok }, 401: E401, 404: E404, 429: E429 },
    handler: async (ctx) => {
      const d = ctx.gateway.deployment(ctx.params["id"]!)
      if (!d.dropSession(ctx.params["sid"]!)) d.requireSession(ctx.params["sid"]!)
      return json(ctx, { ok: true })
    }
  },
  {
    method: "post",
    path: "/v1/admin/deployments",
    operationId: "createDeployment",
    summary: "Create a deployment (mock, plugins or onnx; module only if the config allows it)",
    tag: "admin",
    auth: true,
    drains: true,
    body: DeploymentSpec,
    responses: { 201: { description: "Created", schema: Wire.PolicyInfo }, 400: E400, 401: E401, 409: { description: "Exists", schema: Wire.ErrorBody }, 413: E413, 415: E415, 429: E429 },
    handler: async (ctx) => {
      const d = ctx.gateway.addDeployment(ctx.body)
      if (d.config.preload) await d.ensureStarted()
      return json(ctx, ctx.gateway.info(d), 201)
    }
  },
  {
    method: "delete",
    path: "/v1/admin/deployments/{id}",
    operationId: "deleteDeployment",
    summary: "Remove a deployment and stop its worker",
    tag: "admin",
    auth: true,
    drains: true,
    responses: { 200: { description: "Removed", schema: Wire.Ok }, 401: E401, 404: E404, 429: E429 },
    handler: async (ctx) => {
      await ctx.gateway.removeDeployment(ctx.params["id"]!)
      return json(ctx, { ok: true })
    }
  },
  {
    method: "get",
    path: "/ws/{id}",
    operationId: "websocket",
    summary: "openpi-compatible WebSocket (msgpack + numpy arrays): metadata frame first, then one action dict per observation",
    tag: "websocket",
    auth: true,
    drains: true,
    responses: { 101: { description: "Switching protocols" }, 426: { description: "Upgrade required", schema: Wire.ErrorBody } },
    handler: async (ctx) => {
      ctx.gateway.deployment(ctx.params["id"]!)
      return ctx.c.json({ error: { code: "UpgradeRequired", message: "connect with a WebSocket client" } }, 426)
    }
  }
]

/** Hono's form of a path template. */
export const honoPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ":$1")

/** The error a 404 handler answers with. */
export const routeNotFound = (method: string, path: string) =>
  new GatewayError({ reason: "RouteNotFound", message: `no route ${method} ${path.slice(0, 200)}` })
