/**
 * `robovla render --scene D [--state-json '{...}'] [--steps N] --out frames.png`: loads a play-table scene, resets it
 * to the given CALVIN state (robot_obs 15 / scene_obs 24, both optional), optionally lets physics settle for N
 * no-op steps, and writes both cameras side by side as one PNG (static 200×200 ×2, gripper 84×84 ×4).
 *
 * @since 0.1.0
 */
import { encodePng, PlayTable, sideBySide } from "@robovla/sim"
import { Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { CliCommand } from "../CliCommand.ts"
import { parseFlags } from "../Flags.ts"

const HELP = `robovla render: render a play-table scene to a PNG (both cameras side by side)

Usage: robovla render [--scene A|B|C|D] [--state-json JSON] [--steps N] [--renderer raster|raycast] [--out frames.png]
       robovla render --request request.json --instruction "open the drawer" [--scene …]

  --scene        scene A, B, C or D (default D)
  --state-json   {"robotObs": [15 numbers], "sceneObs": [24 numbers]} (either optional; CALVIN layouts)
  --steps        no-op control steps to run before rendering (default 0)
  --renderer     raster (the fast default) or raycast (the mj_multiRay reference); default: $ROBOVLA_RENDERER or raster
  --out          output PNG path (default frames.png)
  --request      instead of the PNG, write a gateway act request body (JSON: the instruction, robot_obs, and both
                 cameras as PNG images), for \`curl -d @request.json …/v1/policies/<id>/act\`
  --instruction  the request's instruction (default "open the drawer")`

/** The --state-json flag: CALVIN robot_obs / scene_obs, decoded at this boundary. */
const StateJson = Schema.Struct({
  robotObs: Schema.optional(Schema.Array(Schema.Finite)),
  sceneObs: Schema.optional(Schema.Array(Schema.Finite))
})
const decodeState = Schema.decodeUnknownSync(Schema.fromJsonString(StateJson))
const SceneFlag = Schema.Literals(["A", "B", "C", "D"])
const decodeScene = Schema.decodeUnknownSync(SceneFlag)
const RendererFlag = Schema.Literals(["raster", "raycast"])
const decodeRenderer = Schema.decodeUnknownSync(RendererFlag)

export const command: CliCommand = {
  name: "render",
  summary: "render a play-table scene (static + gripper camera) to a PNG",
  run: async (args) => {
    const parsed = parseFlags("render", HELP, args, {
          scene: { type: "string", default: "D" },
          "state-json": { type: "string" },
          steps: { type: "string", default: "0" },
          renderer: { type: "string" },
          out: { type: "string", default: "frames.png" },
          request: { type: "string" },
          instruction: { type: "string", default: "open the drawer" }
    })
    if ("exit" in parsed) return parsed.exit
    const values = parsed.values
    let scene: typeof SceneFlag.Type
    let state: typeof StateJson.Type
    let renderer: typeof RendererFlag.Type | undefined
    const steps = Number(values.steps)
    try {
      scene = decodeScene(values.scene)
      state = values["state-json"] === undefined ? {} : decodeState(values["state-json"])
      renderer = values.renderer === undefined ? undefined : decodeRenderer(values.renderer)
      if (!Number.isInteger(steps) || steps < 0) throw new Error(`--steps must be an integer ≥ 0, got ${values.steps}`)
    } catch (error) {
      console.error(`robovla render: invalid flag: ${(error as Error).message}\n\n${HELP}`)
      return 2
    }
    let table: PlayTable | undefined
    try {
      table = await PlayTable.load(scene, renderer === undefined ? {} : { renderer })
      table.reset({ ...(state.robotObs ? { robotObs: state.robotObs } : {}), ...(state.sceneObs ? { sceneObs: state.sceneObs } : {}) })
      const gripper = table.info().robotObs[14]!
      for (let i = 0; i < steps; i++) table.step([0, 0, 0, 0, 0, 0, gripper])
      const obs = table.observe({ rgbStatic: true, rgbGripper: true })
      if (values.request !== undefined) {
        // The gateway's wire observation (apps/gateway/README.md): images as base64 PNG, robot_obs as CALVIN's 15 values.
        const image = (frame: { readonly data: Uint8Array; readonly width: number; readonly height: number }) =>
          ({ data: Buffer.from(encodePng(frame.data, frame.width, frame.height)).toString("base64"), height: frame.height, width: frame.width, encoding: "png" })
        const body = {
          instruction: values.instruction,
          observation: { rgb_static: image(obs.rgbStatic!), rgb_gripper: image(obs.rgbGripper!), robot_obs: [...table.info().robotObs] }
        }
        const file = path.resolve(values.request)
        fs.mkdirSync(path.dirname(file), { recursive: true })
        fs.writeFileSync(file, JSON.stringify(body) + "\n")
        console.log(`wrote ${file} (an act request: "${values.instruction}", scene ${scene}, both cameras as PNG)`)
        return 0
      }
      const image = sideBySide([
        { ...obs.rgbStatic!, scale: 2 },
        { ...obs.rgbGripper!, scale: 4 }
      ])
      const out = path.resolve(values.out!)
      fs.mkdirSync(path.dirname(out), { recursive: true })
      fs.writeFileSync(out, encodePng(image.data, image.width, image.height))
      console.log(`wrote ${out} (${image.width}×${image.height}, scene ${scene}, ${table.renderer} renderer)`)
      return 0
    } catch (error) {
      console.error(`robovla render: ${(error as Error).message}`)
      return 1
    } finally {
      table?.dispose()
    }
  }
}
