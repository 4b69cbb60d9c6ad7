import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as AsyncScope from "../../src/AsyncScope.ts"
import { SdkError } from "../../src/SdkError.ts"

/** A resource that records when it is acquired and released. */
const tracked = (log: Array<string>, name: string) =>
  Effect.acquireRelease(Effect.sync(() => (log.push(`open ${name}`), name)), () => Effect.sync(() => log.push(`close ${name}`)))

describe("AsyncScope", () => {
  it("acquire hands back the value and a close that releases it once", async () => {
    const log: Array<string> = []
    const { close, value } = await AsyncScope.acquire(tracked(log, "model"))
    expect(value).toBe("model")
    expect(log).toEqual(["open model"])
    await close()
    await close()
    expect(log).toEqual(["open model", "close model"])
  })

  it("a failed acquire releases what was already acquired and rejects with the typed error", async () => {
    const log: Array<string> = []
    const failing = Effect.flatMap(tracked(log, "session"), () => Effect.fail(new SdkError({ reason: "WeightsNotFound", message: "no weights" })))
    const error = await AsyncScope.acquire(failing).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(SdkError)
    expect((error as SdkError).reason).toBe("WeightsNotFound")
    expect(AsyncScope.describe(error)).toBe("SdkError(WeightsNotFound): no weights")
    expect(log).toEqual(["open session", "close session"])
  })

  it("a scope releases in reverse order and refuses work after close", async () => {
    const log: Array<string> = []
    const scope = AsyncScope.make()
    await scope.run(tracked(log, "backbone"))
    await scope.run(tracked(log, "head"))
    await scope.close()
    expect(log).toEqual(["open backbone", "open head", "close head", "close backbone"])
    const error = await scope.run(Effect.succeed(1)).then(() => undefined, (e: unknown) => e)
    expect((error as SdkError).reason).toBe("Released")
  })

  it("describe reads plain errors and defects too", () => {
    expect(AsyncScope.describe(new Error("plain"))).toBe("plain")
    expect(AsyncScope.describe("boom")).toBe("boom")
    expect(AsyncScope.describe({ _tag: "ExportError", message: "tagged" })).toBe("ExportError: tagged")
  })
})
