/**
 * Simulator throughput: control steps/s with and without cameras, and ms per rendered frame per camera, each as a
 * ratio against a baseline of raw physics (8 × mj_step = one control step's physics, no IK, no servo logic) measured
 * in the same process on the same scene. Run: `npm run bench -w @robovla/sim` (or `npx tsx bench/bench.ts`).
 */
import * as os from "node:os"
import { loadMujocoModule } from "../src/internal/mujocoModule.ts"
import { PlayTable } from "../src/PlayTable.ts"
import { Q0 } from "../src/robot/PandaKinematics.ts"
import { sceneXml } from "../src/scene/SceneXml.ts"

const scene = (process.argv[2] ?? "D") as "D"
const now = (): number => performance.now()

/** Runs `body` repeatedly for at least `minMs` after a warm-up; returns ms per call. */
const time = (body: () => void, minMs = 1500, warm = 20): number => {
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
const physicsMs = time(() => {
  for (let s = 0; s < 8; s++) mj.mj_step(model, data)
}, 2000)
data.delete()
model.delete()

const table = await PlayTable.load(scene)
// A wandering action pattern so IK and contacts do real work; reset every 200 steps to stay in the workspace.
let k = 0
const act = (): void => {
  const phase = (k % 200) / 200
  table.step([Math.sin(phase * 12.6), Math.cos(phase * 12.6), Math.sin(phase * 25) * 0.5, 0, 0, 0.2, phase < 0.5 ? 1 : -1])
  if (++k % 200 === 0) table.reset()
}
const stepMs = time(act, 2500)
const stepInfoMs = time(() => {
  act()
  table.info()
}, 2500)
const staticMs = time(() => table.observe({ rgbStatic: true }), 2500, 3)
const gripperMs = time(() => table.observe({ rgbGripper: true }), 2000, 3)
const depthMs = time(() => table.observe({ rgbStatic: true, rgbGripper: true, depth: true }), 2500, 3)
const stepCamMs = time(() => {
  act()
  table.observe({ rgbStatic: true, rgbGripper: true })
}, 3000, 3)
table.dispose()

const rows: Array<[string, number]> = [
  ["physics only (8 × mj_step)", physicsMs],
  ["control step (IK + 8 substeps + lights)", stepMs],
  ["control step + info()", stepInfoMs],
  ["control step + both RGB cameras", stepCamMs],
  ["frame: static RGB 200×200", staticMs],
  ["frame: gripper RGB 84×84", gripperMs],
  ["frame: both RGB + both depth", depthMs]
]
const cpu = os.cpus()[0]?.model ?? "unknown cpu"
console.log(`\n@robovla/sim bench — scene ${scene}, Node ${process.version}, ${os.cpus().length} × ${cpu}\n`)
console.log("| measurement | ms | per second | × physics-only |")
console.log("|---|---:|---:|---:|")
for (const [name, ms] of rows) {
  console.log(`| ${name} | ${ms.toFixed(3)} | ${(1000 / ms).toFixed(1)} | ${(ms / physicsMs).toFixed(2)} |`)
}
