/**
 * Provider selection: `auto` walks CUDA → WebGPU → CPU and keeps what it tried; a provider asked for by name
 * that does not load is a named `ProviderUnavailable` (on a machine with CUDA installed it loads instead).
 */
import { describe, expect, it } from "vitest"
import { PROVIDER_ORDER, probeProvider, selectProvider } from "../../src/index.ts"

describe("selectProvider", () => {
  it("auto picks the first provider that loads, in the order cuda, webgpu, cpu", async () => {
    const choice = await selectProvider("auto")
    expect(PROVIDER_ORDER).toEqual(["cuda", "webgpu", "cpu"])
    const tried = choice.probes.map((p) => p.provider)
    expect(tried).toEqual(PROVIDER_ORDER.slice(0, tried.length))
    expect(choice.probes.at(-1)).toMatchObject({ provider: choice.provider, ok: true })
    for (const probe of choice.probes.slice(0, -1)) {
      expect(probe.ok).toBe(false)
      expect(probe.reason).toBeTruthy()
    }
    expect((await probeProvider("cpu")).ok).toBe(true)
  })

  it("a named provider that does not load fails with ProviderUnavailable and says why", async () => {
    const cuda = await probeProvider("cuda")
    if (cuda.ok) {
      expect((await selectProvider("cuda")).provider).toBe("cuda")
      return
    }
    await expect(selectProvider("cuda")).rejects.toMatchObject({ _tag: "ExportError", reason: "ProviderUnavailable", subject: "cuda" })
  })
})
