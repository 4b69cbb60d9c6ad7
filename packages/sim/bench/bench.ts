/**
 * Simulator throughput: control steps/s with and without cameras, and ms per rendered frame per camera for the
 * rasteriser (the default renderer) and the ray-cast reference, each as a ratio against a baseline of raw physics
 * (8 × mj_step = one control step's physics, no IK, no servo logic) measured in the same process on the same scene.
 * Ends with the camera targets of issue 11 (one core: both RGB cameras ≤ 10 ms per step, static ≤ 6 ms, with depth
 * ≤ 12 ms). Run: `npm run bench -w @robovla/sim` (or `npx tsx bench/bench.ts [scene]`).
 */
import * as os from "node:os"
import { loadMujocoModule } from "../src/internal/mujocoModule.ts"
import { PlayTable } from "../src/PlayTable.ts"
import { RasterCamera } from "../src/render/RasterCamera.ts"
import { lookAt, STATIC_CAMERA, STATIC_POSE } from "../src/render/RayCamera.ts"
import { buildSceneMesh } from "../src/render/SceneMesh.ts"
import { Q0 } from "../src/robot/PandaKinematics.ts"
import { sceneXml } from "../src/scene/SceneXml.ts"

const scene = (process.argv[2] ?? "D") as "D"
const now = (): number => performance.now()

/** Runs `body` repeatedly for at least `minMs` after a warm-up; returns ms per call. */
const time = (body: () => void, minMs: number, warm = 3): number => {
  for (let i = 0; i < warm; i++) body()
  let n = 0
  const t0 = now()
  let t = t0
  while (t - t0 < minMs) {
    body()
    n++
    t = now()
  }
  return (t - t0) / n
}

/**
 * The machine is shared, so each measurement runs in `ROUNDS` short rounds interleaved with all the others, and the
 * fastest round counts (the least-disturbed estimate); ratios use the same rule for the baseline.
 */
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 6)
const measure = (items: ReadonlyArray<readonly [string, () => void, number]>): Array<[string, number]> => {
  const best = items.map(() => Infinity)
  for (let r = 0; r < ROUNDS; r++) {
    items.forEach(([, body, ms], i) => {
      best[i] = Math.min(best[i]!, time(body, ms))
    })
  }
  return items.map(([name], i) => [name, best[i]!])
}

const mj = await loadMujocoModule()
const model = mj.MjModel.from_xml_string(sceneXml(scene))
const data = new mj.MjData(model)
// Hold the arm at q0 with the gripper open, as a reset PlayTable does, so both runs simulate the same scene.
const qpos = data.qpos as Float64Array
const ctrl = data.ctrl as Float64Array
Q0.forEach((q, i) => {
  qpos[(model.jnt_qposadr as Int32Array)[mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, `joint${i + 1}`)]!] = q
  ctrl[i] = q
})
ctrl[7] = ctrl[8] = 0.04
mj.mj_forward(model, data)

const table = await PlayTable.load(scene, { renderer: "raster" })
const reference = await PlayTable.load(scene, { renderer: "raycast" })
// A wandering action pattern so IK and contacts do real work; reset every 200 steps to stay in the workspace.
let k = 0
const act = (): void => {
  const phase = (k % 200) / 200
  table.step([Math.sin(phase * 12.6), Math.cos(phase * 12.6), Math.sin(phase * 25) * 0.5, 0, 0, 0.2, phase < 0.5 ? 1 : -1])
  if (++k % 200 === 0) table.reset()
}
const physics = (): void => {
  for (let s = 0; s < 8; s++) mj.mj_step(model, data)
}
// The worst case for the rasteriser: a static camera that moves a hair every frame, so neither its static layer
// nor its texture cache can be reused (what the gripper camera always pays, at 200×200).
const coldCamera = new RasterCamera(model, data, STATIC_CAMERA, new Uint8Array(model.ngeom).fill(2), buildSceneMesh(model))
const coldRgb = new Uint8Array(STATIC_CAMERA.width * STATIC_CAMERA.height * 3)
let jitter = 0
const coldFrame = (): void => {
  const eye = [STATIC_POSE.eye[0] + 1e-6 * (++jitter % 2), STATIC_POSE.eye[1], STATIC_POSE.eye[2]]
  const { right, up, forward } = lookAt(eye, STATIC_POSE.target, STATIC_POSE.up)
  coldCamera.render(eye, right, up, forward, coldRgb, undefined)
}
const rows = measure([
  ["physics only (8 × mj_step)", physics, 300],
  ["control step (IK + 8 substeps + lights)", act, 300],
  ["control step + info()", () => {
    act()
    table.info()
  }, 300],
  ["ray-cast reference: static RGB 200×200", () => reference.observe({ rgbStatic: true }), 500],
  ["ray-cast reference: gripper RGB 84×84", () => reference.observe({ rgbGripper: true }), 300],
  ["raster: static RGB 200×200", () => table.observe({ rgbStatic: true }), 300],
  ["raster: static RGB 200×200, camera moving (no caches, all wood)", coldFrame, 300],
  ["raster: gripper RGB 84×84", () => table.observe({ rgbGripper: true }), 300],
  ["raster: both RGB", () => table.observe({ rgbStatic: true, rgbGripper: true }), 300],
  ["raster: both RGB + both depth", () => table.observe({ rgbStatic: true, rgbGripper: true, depth: true }), 300],
  ["control step + both RGB (raster)", () => {
    act()
    table.observe({ rgbStatic: true, rgbGripper: true })
  }, 400],
  ["control step + both RGB + both depth (raster)", () => {
    act()
    table.observe({ rgbStatic: true, rgbGripper: true, depth: true })
  }, 400]
])
table.dispose()
reference.dispose()
data.delete()
model.delete()
const physicsMs = rows[0]![1]
const cpu = os.cpus()[0]?.model ?? "unknown cpu"
console.log(`\n@robovla/sim bench — scene ${scene}, Node ${process.version}, ${os.cpus().length} × ${cpu}\n`)
console.log("| measurement | ms | per second | × physics-only |")
console.log("|---|---:|---:|---:|")
for (const [name, ms] of rows) {
  console.log(`| ${name} | ${ms.toFixed(3)} | ${(1000 / ms).toFixed(1)} | ${(ms / physicsMs).toFixed(2)} |`)
}

const ms = (name: string): number => rows.find(([n]) => n === name)![1]
const check = (label: string, value: number, limit: number): string => `${value <= limit ? "PASS" : "FAIL"} ${label}: ${value.toFixed(2)} ms (target ≤ ${limit} ms)`
const stepMs = ms("control step (IK + 8 substeps + lights)")
console.log("\nCamera targets (one core; per-step figures are the timed step with cameras minus the step without):")
console.log(check("static RGB frame", ms("raster: static RGB 200×200"), 6))
console.log(check("both RGB cameras per step", ms("control step + both RGB (raster)") - stepMs, 10))
console.log(check("both RGB + depth per step", ms("control step + both RGB + both depth (raster)") - stepMs, 12))
console.log(`raster vs ray-cast reference: static ×${(ms("ray-cast reference: static RGB 200×200") / ms("raster: static RGB 200×200")).toFixed(1)}, gripper ×${(ms("ray-cast reference: gripper RGB 84×84") / ms("raster: gripper RGB 84×84")).toFixed(1)} faster`)
