/**
 * Remote policies behind the SDK Policy interface: the robovla gateway over REST (one server-side session per
 * policy instance, reset per subtask) and any openpi-compatible WebSocket server (msgpack + raw ndarrays; one
 * connection per policy instance). Transport failures become `BenchError`s with reasons the rollout records
 * per chain (`PolicyTimeout`, `PolicyError`); a reply that is not an N×7 chunk is caught by the rollout.
 *
 * @since 0.1.0
 */
import { ClientError, OpenpiConnection, PolicyClient, type WireMetadata } from "@robovla/client"
import { SdkError } from "@robovla/sdk"
import type { ActionChunk, ObservationFrame, PolicyInputs, PolicyMetadata, PolicyModel, PolicyService } from "@robovla/sdk"
import { Effect } from "effect"
import { BenchError } from "../BenchError.ts"
import type { MadePolicy } from "../PolicySpec.ts"

const ALL_INPUTS: PolicyInputs = { rgbStatic: true, rgbGripper: true, robotObs: true, sceneObs: true }

// Remote failures cross the Policy contract as SdkErrors: "Timeout" for no answer in time, "Unavailable" for
// transport and server errors; the rollout records them as policy_timeout / policy_error for that chain.
const toSdkError = (what: string) => (cause: unknown): SdkError => {
  if (cause instanceof SdkError) return cause
  const error = cause as { name?: string; message?: string }
  if (cause instanceof ClientError) {
    const timeout = cause.reason === "Timeout" || cause.status === 504
    const detail = cause.reason === "HttpError" ? `HTTP ${cause.status} ${cause.code}: ${cause.message}` : `${cause.reason}: ${cause.message}`
    return new SdkError({ reason: timeout ? "Timeout" : "Unavailable", message: `${what}: ${detail}`, cause })
  }
  return new SdkError({ reason: "Unavailable", message: `${what}: ${error?.message ?? String(cause)}`, cause })
}

const withTimeout = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SdkError({ reason: "Timeout", message: `${what}: no reply within ${ms} ms` })), ms)
    promise.then((v) => (clearTimeout(timer), resolve(v)), (e) => (clearTimeout(timer), reject(e)))
  })

const call = <A>(what: string, thunk: () => Promise<A>): Effect.Effect<A, SdkError> => Effect.tryPromise({ try: thunk, catch: toSdkError(what) })

// The gateway's metadata decodes with the wire schema; other openpi servers send their own (often none of these
// keys), so each field falls back on its own.
type WireMeta = { readonly [K in keyof WireMetadata]?: K extends "inputs" ? Partial<WireMetadata["inputs"]> : WireMetadata[K] }

const metadataFrom = (wire: WireMeta | undefined, fallbackName: string): PolicyMetadata => ({
  name: wire?.name ?? fallbackName,
  windowSize: wire?.window_size ?? 1,
  chunkSize: wire?.chunk_size ?? 1,
  actionSpace: wire?.action_space ?? "relative",
  inputs: wire?.inputs === undefined
    ? ALL_INPUTS
    : {
      rgbStatic: wire.inputs.rgb_static ?? true,
      rgbGripper: wire.inputs.rgb_gripper ?? true,
      robotObs: wire.inputs.robot_obs ?? true,
      sceneObs: wire.inputs.scene_obs ?? true
    }
})

/** A remote model: batches are concurrent calls (the server batches them if it can). */
const remoteModel = (metadata: PolicyMetadata, policy: PolicyModel["policy"], close: () => Promise<void>): MadePolicy => ({
  model: {
    metadata,
    policy,
    actBatch: (items) => Effect.forEach(items, (item) => item.policy.act(item.observation, item.instruction), { concurrency: "unbounded" })
  },
  close
})

/**
 * A policy served by the robovla gateway over REST.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeHttpPolicy = async (options: { readonly url: string; readonly policy: string; readonly apiKey?: string | undefined; readonly timeoutMs?: number | undefined }): Promise<MadePolicy> => {
  const timeoutMs = options.timeoutMs ?? 10_000
  const client = new PolicyClient({ baseUrl: options.url, apiKey: options.apiKey, timeoutMs })
  const info = await client.getPolicy(options.policy).catch((cause) => {
    throw new BenchError({ reason: "PolicyUnavailable", message: `cannot reach policy ${options.policy} at ${options.url}: ${(cause as Error).message}`, cause })
  })
  const metadata = metadataFrom(info.metadata, options.policy)
  const sessions: Array<string> = []
  const what = `policy ${options.policy} at ${options.url}`
  // The benchmark runs one chain at a time per worker and makes a fresh policy per chain, so the previous
  // chain's server session is deleted when the next one is made: the server never accumulates sessions.
  const policy = (): Effect.Effect<PolicyService, SdkError> =>
    call(what, async () => {
      await Promise.allSettled(sessions.splice(0).map((sid) => client.deleteSession(options.policy, sid)))
      return client.createSession(options.policy)
    }).pipe(
      Effect.map((sid): PolicyService => {
        sessions.push(sid)
        return {
          metadata,
          reset: () => call(what, () => client.resetSession(options.policy, sid)),
          act: (observation: ObservationFrame, instruction: string) =>
            call(what, () => client.sessionAct(options.policy, sid, observation, instruction)).pipe(Effect.map((r) => r.actions as ActionChunk))
        }
      })
    )
  return remoteModel(metadata, policy, async () => {
    await Promise.allSettled(sessions.map((sid) => client.deleteSession(options.policy, sid)))
  })
}

/**
 * A policy behind an openpi-compatible WebSocket server. Each policy instance holds one connection; `reset()`
 * reconnects, which clears a server's per-connection history on any openpi server.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWebSocketPolicy = async (options: { readonly url: string; readonly apiKey?: string | undefined; readonly timeoutMs?: number | undefined }): Promise<MadePolicy> => {
  const timeoutMs = options.timeoutMs ?? 10_000
  const what = `openpi server ${options.url}`
  const open = () => withTimeout(OpenpiConnection.open(options.url, { apiKey: options.apiKey }), timeoutMs, what)
  const probe = await open().catch((cause) => {
    throw new BenchError({ reason: "PolicyUnavailable", message: `cannot connect to ${what}: ${(cause as Error).message}`, cause })
  })
  const metadata = metadataFrom(probe.metadata as WireMeta, options.url)
  await probe.close()
  const connections = new Set<OpenpiConnection>()
  const policy = (): Effect.Effect<PolicyService, SdkError> =>
    Effect.promise(async () => {
      // As for REST: the previous chain's connection is closed when the next policy is made.
      await Promise.allSettled([...connections].map((c) => c.close()))
      connections.clear()
      let connection: Promise<OpenpiConnection> | undefined
      const connect = () => {
        connection = open().then((c) => (connections.add(c), c))
        return connection
      }
      const drop = async () => {
        const current = connection
        connection = undefined
        if (current) {
          const c = await current.catch(() => undefined)
          if (c) {
            connections.delete(c)
            await c.close()
          }
        }
      }
      return {
        metadata,
        reset: () => call(what, async () => {
          await drop()
          await connect()
        }),
        act: (observation: ObservationFrame, instruction: string) =>
          call(what, async () => {
            const c = await (connection ?? connect())
            try {
              return (await withTimeout(c.act(observation, instruction), timeoutMs, what)).actions as unknown as ActionChunk
            } catch (error) {
              // A failed call leaves the socket in an unknown state (openpi closes it on errors): start afresh.
              await drop()
              throw error
            }
          })
      } satisfies PolicyService
    })
  return remoteModel(metadata, policy, async () => {
    await Promise.allSettled([...connections].map((c) => c.close()))
  })
}
