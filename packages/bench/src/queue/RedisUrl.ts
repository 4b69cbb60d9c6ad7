/**
 * The `--queue` URL of a distributed run: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS), turned
 * into ioredis connection options. A password can also come from the environment (`ROBOVLA_REDIS_PASSWORD`) so
 * it stays out of process listings, and TLS takes a CA file for private certificate authorities.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as net from "node:net"
import type { RedisOptions } from "bullmq"
// ioredis 6's option types do not compile under exactOptionalPropertyTypes, hence the constructor cast below.
import { Redis } from "ioredis"
import { BenchError } from "../BenchError.ts"

/** @since 0.1.0 @category models */
export interface RedisConnectOptions {
  /** PEM file of the CA that signed the server's certificate (rediss:// only). */
  readonly tlsCa?: string | undefined
  /** Accept any server certificate (rediss:// only; for tests and private networks). */
  readonly tlsInsecure?: boolean | undefined
  /** Used when the URL has no password. */
  readonly password?: string | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const redisOptions = (text: string, options: RedisConnectOptions = {}): RedisOptions => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new BenchError({ reason: "InvalidOptions", message: `--queue ${JSON.stringify(redact(text))}: expected redis://host:port[/db] or rediss://…` })
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new BenchError({ reason: "InvalidOptions", message: `--queue ${redact(text)}: the scheme must be redis:// or rediss:// (TLS), got ${url.protocol}` })
  }
  const db = url.pathname === "" || url.pathname === "/" ? 0 : Number(url.pathname.slice(1))
  if (!Number.isInteger(db) || db < 0) throw new BenchError({ reason: "InvalidOptions", message: `--queue ${redact(text)}: the database must be a number, got ${url.pathname.slice(1)}` })
  const host = url.hostname.replace(/^\[|\]$/g, "")
  const password = url.password !== "" ? decodeURIComponent(url.password) : options.password
  const tls = url.protocol === "rediss:"
    ? {
      // SNI takes host names only (RFC 6066); an IP address is still checked against the certificate.
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(options.tlsCa === undefined ? {} : { ca: fs.readFileSync(options.tlsCa) }),
      ...(options.tlsInsecure ? { rejectUnauthorized: false } : {})
    }
    : undefined
  return {
    host,
    port: url.port === "" ? 6379 : Number(url.port),
    db,
    ...(url.username !== "" ? { username: decodeURIComponent(url.username) } : {}),
    ...(password !== undefined && password !== "" ? { password } : {}),
    ...(tls ? { tls } : {}),
    // BullMQ's blocking worker connections need this; every command waits for a reconnect instead of failing.
    maxRetriesPerRequest: null,
    // Keep reconnecting (a Redis restart is an ordinary event in a long run), at most every 2 s.
    retryStrategy: (times: number) => Math.min(100 * times, 2000)
  }
}

/** The URL without its password, for logs and run files. @since 0.1.0 @category formatting */
export const redact = (text: string): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, "$1***@")

/**
 * A plain ioredis client for the coordinator's and workers' own commands (BullMQ makes its own from the same
 * options). Connects lazily so that the first failure can be reported as a typed error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRedis = (options: RedisOptions): Redis => new (Redis as unknown as new (options: object) => Redis)({ ...options, lazyConnect: true })

export type { RedisOptions }
