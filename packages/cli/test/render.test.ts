import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it, vi } from "vitest"
import { command } from "../src/commands/render.ts"

/** Runs `robovla render` in-process with captured console output. */
const render = async (args: ReadonlyArray<string>) => {
  const out: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")))
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")))
  try {
    return { code: await command.run(args), out: out.join("\n") }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

describe("robovla render", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-render-"))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("writes both cameras as a PNG with either renderer", async () => {
    for (const renderer of ["raster", "raycast"]) {
      const file = path.join(dir, `${renderer}.png`)
      const { code, out } = await render(["--scene", "B", "--renderer", renderer, "--out", file])
      expect(code).toBe(0)
      expect(out).toContain(`${renderer} renderer`)
      const png = fs.readFileSync(file)
      expect(Array.from(png.subarray(1, 4))).toEqual([80, 78, 71]) // "PNG"
      expect(png.readUInt32BE(16)).toBe(200 * 2 + 84 * 4 + 8)
    }
  })

  it("writes a gateway act request (instruction, robot_obs, both cameras as PNG) with --request", async () => {
    const file = path.join(dir, "request.json")
    const { code, out } = await render(["--scene", "D", "--request", file, "--instruction", "push the sliding door to the left"])
    expect(code).toBe(0)
    expect(out).toContain("act request")
    const body = JSON.parse(fs.readFileSync(file, "utf8"))
    expect(body.instruction).toBe("push the sliding door to the left")
    expect(body.observation.robot_obs).toHaveLength(15)
    for (const [key, side] of [["rgb_static", 200], ["rgb_gripper", 84]] as const) {
      const image = body.observation[key]
      expect(image).toMatchObject({ height: side, width: side, encoding: "png" })
      const png = Buffer.from(image.data, "base64")
      expect(png.readUInt32BE(16)).toBe(side)
    }
  })

  it("rejects an unknown renderer with exit code 2", async () => {
    const { code, out } = await render(["--renderer", "opengl", "--out", path.join(dir, "x.png")])
    expect(code).toBe(2)
    expect(out).toContain("--renderer")
  })
})
