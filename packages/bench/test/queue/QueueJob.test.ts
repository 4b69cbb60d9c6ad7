import { describe, expect, it } from "vitest"
import { BenchError } from "../../src/BenchError.ts"
import { decodeJob, keys, QUEUE_PROTOCOL, suiteVersion } from "../../src/queue/QueueJob.ts"
import { redact, redisOptions } from "../../src/queue/RedisUrl.ts"
import { suiteChains } from "../../src/Suites.ts"

const chain = suiteChains("calvin", { chains: 1 })[0]!
const job = {
  protocol: QUEUE_PROTOCOL,
  runId: "abc123",
  suite: "calvin",
  suiteVersion: suiteVersion(),
  chain: { index: chain.index, initialState: chain.initialState, tasks: [...chain.tasks] },
  scene: "D",
  seed: 0,
  policy: { kind: "oracle" },
  options: { maxSteps: 360, actTimeoutMs: 10_000, actionsPerQuery: 1, videoStride: 3, videoSize: 160 },
  record: false
}

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError)
    return (error as BenchError).reason
  }
  return undefined
}

describe("queued chain jobs", () => {
  it("a worker accepts a job of its own suite version with a known policy", () => {
    const decoded = decodeJob(job)
    expect(decoded.policy).toEqual({ kind: "oracle" })
    expect(decoded.chain.tasks).toEqual(chain.tasks)
  })

  it("refuses an unknown policy spec, another suite version or protocol, and a malformed job, with typed errors", () => {
    expect(reasonOf(() => decodeJob({ ...job, policy: { kind: "telepathy" } }))).toBe("UnknownPolicy")
    expect(reasonOf(() => decodeJob({ ...job, suiteVersion: "0000000000000000" }))).toBe("SuiteMismatch")
    expect(reasonOf(() => decodeJob({ ...job, protocol: QUEUE_PROTOCOL + 1 }))).toBe("SuiteMismatch")
    expect(reasonOf(() => decodeJob({ ...job, chain: { index: "zero" } }))).toBe("InvalidOptions")
  })

  it("job ids are deterministic per run and chain, and valid BullMQ custom ids", () => {
    expect(keys.jobId("abc123", 7)).toBe("abc123-c7")
    expect(keys.jobId("abc123", 7)).not.toMatch(/:/)
    expect(suiteVersion()).toMatch(/^[0-9a-f]{16}$/)
  })
})

describe("--queue URLs", () => {
  it("reads host, port, database, user, password and TLS", () => {
    expect(redisOptions("redis://10.0.0.5:6380/2")).toMatchObject({ host: "10.0.0.5", port: 6380, db: 2 })
    expect(redisOptions("redis://localhost")).toMatchObject({ host: "localhost", port: 6379, db: 0 })
    const secure = redisOptions("rediss://bench:s3cr%40t@redis.example:6390/1")
    expect(secure).toMatchObject({ host: "redis.example", port: 6390, db: 1, username: "bench", password: "s3cr@t", tls: { servername: "redis.example" } })
    expect(redisOptions("rediss://h:1", { tlsInsecure: true }).tls).toMatchObject({ rejectUnauthorized: false })
    expect(redisOptions("redis://h:1", { password: "from-env" }).password).toBe("from-env")
    expect(redisOptions("redis://h:1").tls).toBeUndefined()
  })

  it("rejects other schemes and bad databases, and never echoes a password", () => {
    expect(reasonOf(() => redisOptions("http://h:1"))).toBe("InvalidOptions")
    expect(reasonOf(() => redisOptions("redis://h:1/x"))).toBe("InvalidOptions")
    expect(redact("redis://:hunter2@h:1/0")).toBe("redis://:***@h:1/0")
    expect(redact("rediss://user:hunter2@h:1")).toBe("rediss://user:***@h:1")
    try {
      redisOptions("https://user:hunter2@h:1")
    } catch (error) {
      expect((error as Error).message).not.toMatch(/hunter2/)
    }
  })
})
