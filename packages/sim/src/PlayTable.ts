/**
 * PlayTable: the plain-function layer over one MuJoCo model + data of the CALVIN play table, for hot loops.
 *
 * Semantics follow reference/calvin.md: `reset` is CALVIN's `env.reset(robot_obs, scene_obs)` (§6.3), `step` is
 * one 30 Hz control step of 8 physics substeps at 240 Hz with the light logic evaluated once afterwards (§1.6),
 * relative actions accumulate onto a persistent target pose (0.02 m / 0.05 rad per unit, §2.2) solved by a
 * damped least-squares IK toward q0 and tracked by rate-limited (2 rad/s) position servos.
 *
 * `step` allocates nothing; `info` and `observe` copy out of WASM memory (fresh arrays each call), so their
 * results stay valid after later steps.
 *
 * @since 0.1.0
 */
import type { Action7, ObservationFrame } from "@robovla/sdk"
import type { MainModule, MjData, MjModel } from "@mujoco/mujoco"
import { loadMujocoModule } from "./internal/mujocoModule.ts"
import { RasterCamera } from "./render/RasterCamera.ts"
import { type CameraSpec, GRIPPER_CAMERA, lookAt, RayCamera, STATIC_CAMERA, STATIC_POSE, Surface } from "./render/RayCamera.ts"
import { type FrameRenderer, type RendererKind, resolveRenderer } from "./render/Renderer.ts"
import { buildSceneMesh, type SceneMesh } from "./render/SceneMesh.ts"
import { DEFAULT_IK, eulerToMat, eulerToQuat, makeIkWorkspace, matToEuler, quatToMat, solveIk, type IkWorkspace } from "./robot/PandaKinematics.ts"
import {
  BLOCK_SLOTS_D,
  blockSlots,
  BULB_ON_RGB,
  BUTTON_THRESHOLD,
  DRAWER_TRAVEL,
  LED_ON_RGB,
  LIGHT_OFF_RGB,
  type SceneId,
  SCENES,
  SWITCH_THRESHOLD,
  SWITCH_TRAVEL,
  BUTTON_TRAVEL
} from "./scene/SceneLayout.ts"
import { sceneXml } from "./scene/SceneXml.ts"
import { SimError } from "./SimError.ts"
import {
  BLOCK_COLORS,
  type BlockColor,
  type BlockInfo,
  CONTACT_DISTANCE,
  type ContactBody,
  type ContactLink,
  type ContactPair,
  type SimInfo
} from "./SimInfo.ts"

export type { SceneId } from "./scene/SceneLayout.ts"

/** CALVIN's neutral robot_obs (§6.3): TCP pose, width 0.08, joints q0, gripper open. @since 0.1.0 @category constants */
export const NEUTRAL_ROBOT_OBS: ReadonlyArray<number> = [
  0.02586889, -0.2313129, 0.5712808, 3.09045411, -0.02908596, 1.50013585, 0.07999963,
  -1.21779124, 1.03987629, 2.11978254, -2.34205014, -0.87015899, 1.64119093, 0.55344928, 1
]

/**
 * The default scene_obs of a scene: doors closed, lights off, red and blue on the two table slots, pink in the
 * open (left) half of the compartment, all with yaw π/2.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSceneObs = (scene: SceneId): Array<number> => {
  const s = blockSlots(scene)
  const yaw = Math.PI / 2
  return [0, 0, 0, 0, 0, 0, ...s.table0, 0, 0, yaw, ...s.table1, 0, 0, yaw, ...s.sliderLeft, 0, 0, yaw]
}

/** Kept for reference by tests: scene-D slots of §6.3. @since 0.1.0 @category constants */
export const SCENE_D_SLOTS = BLOCK_SLOTS_D

/** @since 0.1.0 @category models */
export interface ResetState {
  /** 15 values; only the joints (7–13), the width (6) and the gripper action (14) are used. */
  readonly robotObs?: ArrayLike<number>
  /** 24 values (§3.2). */
  readonly sceneObs?: ArrayLike<number>
}

/** `relative`: CALVIN cartesian_rel in [−1, 1]; `absolute`: world TCP position + Euler, gripper ±1. @since 0.1.0 @category models */
export type ActionSpace = "relative" | "absolute"

/** Which images `observe` renders. @since 0.1.0 @category models */
export interface CameraRequest {
  readonly rgbStatic?: boolean
  readonly rgbGripper?: boolean
  /** Also return depth (m) for each camera rendered. */
  readonly depth?: boolean
  /** Also return the geom id seen at each pixel (−1: background) for each camera rendered. */
  readonly geomIds?: boolean
}

/** @since 0.1.0 @category models */
export type SimObservation = ObservationFrame & {
  readonly depthStatic?: Float32Array
  readonly depthGripper?: Float32Array
  readonly geomIdsStatic?: Int32Array
  readonly geomIdsGripper?: Int32Array
}

/**
 * A complete, immutable snapshot of a PlayTable: MuJoCo's integration state (qpos, qvel, ctrl, warm start, …) plus
 * the controller and light logic. `restoreState` of a snapshot followed by the same actions reproduces the same
 * trajectory bit for bit, which gives the functional form `step(state, action) → state` when needed.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlayTableState {
  readonly scene: SceneId
  readonly physics: Float64Array
  readonly targetPos: readonly [number, number, number]
  readonly targetEuler: readonly [number, number, number]
  readonly servo: ReadonlyArray<number>
  readonly gripperAction: 1 | -1
  readonly led: 0 | 1
  readonly lightbulb: 0 | 1
  readonly lastButton: number
  readonly stepCount: number
}

/** Load options. @since 0.1.0 @category models */
export interface LoadOptions {
  /** When true, `observe()` without arguments renders both RGB cameras. Default false. */
  readonly cameras?: boolean
  /**
   * `raster` (default): the rasteriser; `raycast`: the ray-cast reference (one `mj_multiRay` per frame, ~10×
   * slower). Without this option the `ROBOVLA_RENDERER` environment variable decides.
   */
  readonly renderer?: RendererKind
}

/** Metres / radians per unit of relative action (§2.2). @since 0.1.0 @category constants */
export const REL_POS_SCALE = 0.02
/** @since 0.1.0 @category constants */
export const REL_ORN_SCALE = 0.05
/** Physics substeps per control step and the servo speed limit. @since 0.1.0 @category constants */
export const SUBSTEPS = 8
/** @since 0.1.0 @category constants */
export const MAX_JOINT_SPEED = 2
const PHYSICS_DT = 1 / 240
/** Gripper servo force limits (N): weak open, strong close (§2.2). */
const OPEN_FORCE = 2
const CLOSE_FORCE = 200
const FINGER_OPEN = 0.04

const BODIES: ReadonlyArray<ContactBody> = ["robot", "table", "block_red", "block_blue", "block_pink", "floor"]
const LINKS: ReadonlyArray<ContactLink> = ["base_link", "plank_link", "drawer_link", "slide_link", "button_link", "switch_link", "base"]
const BLOCK_BODY_INDEX: Readonly<Record<BlockColor, number>> = { red: 2, blue: 3, pink: 4 }
const NO_BODY = 255

/** Joint addresses resolved once at load. */
interface Addresses {
  readonly arm: Int32Array // qpos adr of joint1..7
  readonly armDof: Int32Array
  readonly fingerL: number
  readonly fingerR: number
  readonly fingerLDof: number
  readonly fingerRDof: number
  readonly slide: number
  readonly drawer: number
  readonly button: number
  readonly switch: number
  readonly slideDof: number
  readonly drawerDof: number
  readonly buttonDof: number
  readonly switchDof: number
  readonly block: Readonly<Record<BlockColor, number>> // qpos adr (7 values)
  readonly blockDof: Readonly<Record<BlockColor, number>> // qvel adr (6 values)
  readonly tcpSite: number
  readonly camSite: number
  readonly ledGeom: number
  readonly bulbGeom: number
}

/**
 * Relative actions are clipped to [−1, 1]. CALVIN itself does not clip (its datasets and models stay inside ±1),
 * so in-range actions behave identically; out-of-range ones cannot fling the target pose away.
 */
const clip1 = (x: number): number => (x > 1 ? 1 : x < -1 ? -1 : x)

const finiteArray = (xs: ArrayLike<number>): boolean => {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) return false
  return true
}

/**
 * One CALVIN scene in MuJoCo: reset / step / info / observe / dispose.
 *
 * @since 0.1.0
 * @category models
 */
export class PlayTable {
  /**
   * Compile the scene's MJCF and allocate its data. Fails with SimError "ModelLoad".
   *
   * @since 0.1.0
   */
  static async load(scene: SceneId, options: LoadOptions = {}): Promise<PlayTable> {
    if (!Object.hasOwn(SCENES, scene)) throw new SimError({ reason: "ModelLoad", message: `unknown scene ${JSON.stringify(scene)} (expected A, B, C or D)` })
    const renderer = resolveRenderer(options.renderer)
    if (typeof renderer !== "string") throw new SimError({ reason: "ModelLoad", message: renderer.invalid })
    const mj = await loadMujocoModule()
    let model: MjModel | undefined
    try {
      model = mj.MjModel.from_xml_string(sceneXml(scene))
      const data = new mj.MjData(model)
      const table = new PlayTable(mj, model, data, scene, options.cameras === true, renderer)
      table.reset()
      return table
    } catch (cause) {
      if (cause instanceof SimError) throw cause
      model?.delete()
      throw new SimError({ reason: "ModelLoad", message: `scene ${scene} failed to compile: ${String(cause)}`, cause })
    }
  }

  readonly scene: SceneId
  /** The MJCF this table was compiled from (for debugging and tests). */
  get xml(): string {
    return sceneXml(this.scene)
  }

  private readonly adr: Addresses
  private readonly geomBody: Uint8Array
  private readonly geomLink: Uint8Array
  private readonly surfaces: Uint8Array
  private readonly ws: IkWorkspace = makeIkWorkspace()
  private readonly targetPos = new Float64Array(3)
  private readonly targetEuler = new Float64Array(3)
  private readonly targetRot = new Float64Array(9)
  private readonly qMeasured = new Float64Array(7)
  private readonly qDesired = new Float64Array(7)
  private readonly servo = new Float64Array(7)
  private readonly tmpMat = new Float64Array(9)
  private gripperAction: 1 | -1 = 1
  private led: 0 | 1 = 0
  private bulb: 0 | 1 = 0
  private lastButton = 0
  private disposed = false
  private staticCam: FrameRenderer | undefined
  private gripperCam: FrameRenderer | undefined
  private sceneMesh: SceneMesh | undefined
  /** Number of control steps since the last reset. */
  stepCount = 0

  private constructor(
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    scene: SceneId,
    private readonly camerasByDefault: boolean,
    /** Which renderer draws this table's cameras. */
    readonly renderer: RendererKind
  ) {
    this.scene = scene
    const m = model
    const jnt = (name: string): number => {
      const id = mj.mj_name2id(m, mj.mjtObj.mjOBJ_JOINT.value, name)
      if (id < 0) throw new SimError({ reason: "ModelLoad", message: `joint ${name} missing` })
      return id
    }
    const qadr = (name: string): number => (m.jnt_qposadr as Int32Array)[jnt(name)]!
    const vadr = (name: string): number => (m.jnt_dofadr as Int32Array)[jnt(name)]!
    const site = (name: string): number => mj.mj_name2id(m, mj.mjtObj.mjOBJ_SITE.value, name)
    const geom = (name: string): number => mj.mj_name2id(m, mj.mjtObj.mjOBJ_GEOM.value, name)
    const arm = new Int32Array(7)
    const armDof = new Int32Array(7)
    for (let i = 0; i < 7; i++) {
      arm[i] = qadr(`joint${i + 1}`)
      armDof[i] = vadr(`joint${i + 1}`)
    }
    this.adr = {
      arm,
      armDof,
      fingerL: qadr("finger_left"),
      fingerR: qadr("finger_right"),
      fingerLDof: vadr("finger_left"),
      fingerRDof: vadr("finger_right"),
      slide: qadr("slide"),
      drawer: qadr("drawer"),
      button: qadr("button"),
      switch: qadr("switch"),
      slideDof: vadr("slide"),
      drawerDof: vadr("drawer"),
      buttonDof: vadr("button"),
      switchDof: vadr("switch"),
      block: { red: qadr("block_red"), blue: qadr("block_blue"), pink: qadr("block_pink") },
      blockDof: { red: vadr("block_red"), blue: vadr("block_blue"), pink: vadr("block_pink") },
      tcpSite: site("tcp"),
      camSite: site("gripper_cam"),
      ledGeom: geom("table/base_link/led"),
      bulbGeom: geom("table/base_link/bulb")
    }
    // geom → (body, link) from the `<body>/<link>/<part>` names; surfaces for the renderer
    const ng = m.ngeom
    this.geomBody = new Uint8Array(ng).fill(NO_BODY)
    this.geomLink = new Uint8Array(ng)
    this.surfaces = new Uint8Array(ng)
    for (let g = 0; g < ng; g++) {
      const name = mj.mj_id2name(m, mj.mjtObj.mjOBJ_GEOM.value, g) ?? ""
      const [b, l] = name.split("/")
      const bi = BODIES.indexOf(b as ContactBody)
      const li = LINKS.indexOf(l as ContactLink)
      if (bi >= 0) this.geomBody[g] = bi
      this.geomLink[g] = li >= 0 ? li : LINKS.indexOf("base")
      if (b === "floor") this.surfaces[g] = Surface.Floor
      else if (b === "table" && !/handle|housing|led|bulb|cap|lever/.test(name)) this.surfaces[g] = Surface.Wood
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new SimError({ reason: "Released", message: `PlayTable ${this.scene} was disposed` })
  }

  /**
   * CALVIN `env.reset(robot_obs, scene_obs)`: joints and width from robotObs, doors, lights and blocks from
   * sceneObs; the target pose becomes the measured TCP; one physics substep settles contacts.
   * Defaults: `NEUTRAL_ROBOT_OBS` and `defaultSceneObs(scene)`.
   *
   * @since 0.1.0
   */
  reset(state: ResetState = {}): void {
    this.assertLive()
    const robot = state.robotObs ?? NEUTRAL_ROBOT_OBS
    const sceneObs = state.sceneObs ?? defaultSceneObs(this.scene)
    if (robot.length !== 15 || !finiteArray(robot)) {
      throw new SimError({ reason: "InvalidState", message: `robotObs must be 15 finite numbers, got length ${robot.length}` })
    }
    if (sceneObs.length !== 24 || !finiteArray(sceneObs)) {
      throw new SimError({ reason: "InvalidState", message: `sceneObs must be 24 finite numbers, got length ${sceneObs.length}` })
    }
    const { mj, model: m, data: d, adr } = this
    mj.mj_resetData(m, d)
    const qpos = d.qpos as Float64Array
    for (let i = 0; i < 7; i++) qpos[adr.arm[i]!] = robot[7 + i]!
    const half = Math.min(FINGER_OPEN, Math.max(0, robot[6]! / 2))
    qpos[adr.fingerL] = half
    qpos[adr.fingerR] = half
    this.gripperAction = robot[14]! > 0 ? 1 : -1
    const clamp = (x: number, hi: number): number => Math.min(hi, Math.max(0, x))
    qpos[adr.slide] = clamp(sceneObs[0]!, SCENES[this.scene].doorTravel)
    qpos[adr.drawer] = clamp(sceneObs[1]!, DRAWER_TRAVEL)
    qpos[adr.button] = clamp(sceneObs[2]!, BUTTON_TRAVEL)
    qpos[adr.switch] = clamp(sceneObs[3]!, SWITCH_TRAVEL)
    this.bulb = sceneObs[4]! > 0.5 ? 1 : 0
    this.led = sceneObs[5]! > 0.5 ? 1 : 0
    this.lastButton = qpos[adr.button]!
    BLOCK_COLORS.forEach((c, k) => {
      const o = 6 + k * 6
      const a = adr.block[c]
      qpos[a] = sceneObs[o]!
      qpos[a + 1] = sceneObs[o + 1]!
      qpos[a + 2] = sceneObs[o + 2]!
      const q = eulerToQuat(sceneObs[o + 3]!, sceneObs[o + 4]!, sceneObs[o + 5]!)
      qpos[a + 3] = q[0]
      qpos[a + 4] = q[1]
      qpos[a + 5] = q[2]
      qpos[a + 6] = q[3]
    })
    const ctrl = d.ctrl as Float64Array
    for (let i = 0; i < 7; i++) {
      this.servo[i] = qpos[adr.arm[i]!]!
      this.qDesired[i] = this.servo[i]!
      ctrl[i] = this.servo[i]!
    }
    this.applyGripper()
    mj.mj_forward(m, d)
    const sp = adr.tcpSite * 3
    const xpos = d.site_xpos as Float64Array
    this.targetPos[0] = xpos[sp]!
    this.targetPos[1] = xpos[sp + 1]!
    this.targetPos[2] = xpos[sp + 2]!
    matToEuler(d.site_xmat as Float64Array, this.targetEuler, 0, adr.tcpSite * 9)
    mj.mj_step(m, d)
    mj.mj_kinematics(m, d)
    this.paintLights()
    this.stepCount = 0
  }

  /** Finger targets and force limits for the current binary gripper command. */
  private applyGripper(): void {
    const ctrl = this.data.ctrl as Float64Array
    const range = this.model.actuator_forcerange as Float64Array
    const open = this.gripperAction > 0
    const target = open ? FINGER_OPEN : 0
    const force = open ? OPEN_FORCE : CLOSE_FORCE
    for (const a of [7, 8]) {
      ctrl[a] = target
      range[a * 2] = -force
      range[a * 2 + 1] = force
    }
  }

  private paintLights(): void {
    const rgba = this.model.geom_rgba as Float32Array
    const led = this.led ? LED_ON_RGB : LIGHT_OFF_RGB
    const bulb = this.bulb ? BULB_ON_RGB : LIGHT_OFF_RGB
    for (let i = 0; i < 3; i++) {
      rgba[this.adr.ledGeom * 4 + i] = led[i]!
      rgba[this.adr.bulbGeom * 4 + i] = bulb[i]!
    }
  }

  /**
   * One 30 Hz control step. `relative` (default): action = (dx, dy, dz, droll, dpitch, dyaw, gripper), clipped to
   * [−1, 1], scaled by 0.02 m / 0.05 rad and added to the target pose; `absolute`: (x, y, z, roll, pitch, yaw, gripper) in world.
   * Gripper > 0 opens, otherwise closes. Fails with SimError "InvalidAction" or "Diverged".
   *
   * @since 0.1.0
   */
  step(action: Action7 | ArrayLike<number>, space: ActionSpace = "relative"): void {
    this.assertLive()
    if (action === null || typeof action !== "object" || action.length !== 7) {
      throw new SimError({ reason: "InvalidAction", message: `action must have 7 numbers, got ${action === null || typeof action !== "object" ? String(action) : `length ${action.length}`}` })
    }
    for (let i = 0; i < 7; i++) {
      const x = action[i]
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new SimError({ reason: "InvalidAction", message: `action[${i}] is not a finite number (${String(x)})` })
      }
    }
    const tp = this.targetPos
    const te = this.targetEuler
    if (space === "relative") {
      tp[0] = tp[0]! + REL_POS_SCALE * clip1(action[0]!)
      tp[1] = tp[1]! + REL_POS_SCALE * clip1(action[1]!)
      tp[2] = tp[2]! + REL_POS_SCALE * clip1(action[2]!)
      te[0] = te[0]! + REL_ORN_SCALE * clip1(action[3]!)
      te[1] = te[1]! + REL_ORN_SCALE * clip1(action[4]!)
      te[2] = te[2]! + REL_ORN_SCALE * clip1(action[5]!)
    } else if (space === "absolute") {
      for (let i = 0; i < 3; i++) {
        tp[i] = action[i]!
        te[i] = action[3 + i]!
      }
    } else {
      throw new SimError({ reason: "InvalidAction", message: `unknown action space ${JSON.stringify(space)}` })
    }
    const grip = action[6]! > 0 ? 1 : -1
    if (grip !== this.gripperAction) {
      this.gripperAction = grip
      this.applyGripper()
    }
    const { mj, model: m, data: d, adr } = this
    const qpos = d.qpos as Float64Array
    const ctrl = d.ctrl as Float64Array
    for (let i = 0; i < 7; i++) this.qMeasured[i] = qpos[adr.arm[i]!]!
    eulerToMat(te[0]!, te[1]!, te[2]!, this.targetRot)
    solveIk(this.ws, this.qMeasured, tp, this.targetRot, this.qDesired, DEFAULT_IK)
    const maxDelta = MAX_JOINT_SPEED * PHYSICS_DT
    const timeBefore = d.time
    for (let s = 0; s < SUBSTEPS; s++) {
      for (let i = 0; i < 7; i++) {
        const delta = this.qDesired[i]! - this.servo[i]!
        this.servo[i] = this.servo[i]! + (delta > maxDelta ? maxDelta : delta < -maxDelta ? -maxDelta : delta)
        ctrl[i] = this.servo[i]!
      }
      mj.mj_step(m, d)
    }
    // mj_step leaves poses (site/geom xpos) one substep behind qpos; refresh them so robot_obs and the cameras
    // describe the state after the step, like PyBullet's getLinkState after stepSimulation.
    mj.mj_kinematics(m, d)
    this.updateLights()
    this.stepCount++
    // MuJoCo resets the data (time back to 0) when the solver blows up; a non-finite qpos is the other symptom.
    if (!(Math.abs(d.time - timeBefore - SUBSTEPS * PHYSICS_DT) < 1e-9) || !finiteArray(qpos)) {
      throw new SimError({ reason: "Diverged", message: `physics became unstable at control step ${this.stepCount}` })
    }
  }

  /** Light logic, once per control step (§1.6): edge-triggered button → LED, level switch → bulb. */
  private updateLights(): void {
    const qpos = this.data.qpos as Float64Array
    const button = qpos[this.adr.button]!
    let changed = false
    if (button > BUTTON_THRESHOLD && this.lastButton <= BUTTON_THRESHOLD) {
      this.led = this.led ? 0 : 1
      changed = true
    }
    this.lastButton = button
    const bulb = qpos[this.adr.switch]! > SWITCH_THRESHOLD ? 1 : 0
    if (bulb !== this.bulb) {
      this.bulb = bulb
      changed = true
    }
    if (changed) this.paintLights()
  }

  /** robot_obs (15, §3.1), copied out. @since 0.1.0 */
  robotObs(): Array<number> {
    this.assertLive()
    const d = this.data
    const adr = this.adr
    const xpos = d.site_xpos as Float64Array
    const qpos = d.qpos as Float64Array
    const sp = adr.tcpSite * 3
    const out = new Array<number>(15)
    out[0] = xpos[sp]!
    out[1] = xpos[sp + 1]!
    out[2] = xpos[sp + 2]!
    matToEuler(d.site_xmat as Float64Array, out, 3, adr.tcpSite * 9)
    out[6] = qpos[adr.fingerL]! + qpos[adr.fingerR]!
    for (let i = 0; i < 7; i++) out[7 + i] = qpos[adr.arm[i]!]!
    out[14] = this.gripperAction
    return out
  }

  /** scene_obs (24, §3.2), copied out. @since 0.1.0 */
  sceneObs(): Array<number> {
    this.assertLive()
    const qpos = this.data.qpos as Float64Array
    const adr = this.adr
    const out = new Array<number>(24)
    out[0] = qpos[adr.slide]!
    out[1] = qpos[adr.drawer]!
    out[2] = qpos[adr.button]!
    out[3] = qpos[adr.switch]!
    out[4] = this.bulb
    out[5] = this.led
    BLOCK_COLORS.forEach((c, k) => {
      const a = adr.block[c]
      out[6 + k * 6] = qpos[a]!
      out[7 + k * 6] = qpos[a + 1]!
      out[8 + k * 6] = qpos[a + 2]!
      quatToMat([qpos[a + 3]!, qpos[a + 4]!, qpos[a + 5]!, qpos[a + 6]!], this.tmpMat)
      matToEuler(this.tmpMat, out, 9 + k * 6)
    })
    return out
  }

  /**
   * The privileged snapshot: robot_obs, scene_obs, contacts per the rule in SimInfo.ts, block poses/velocities,
   * door values and light states. Copied out (safe to keep).
   *
   * @since 0.1.0
   */
  info(): SimInfo {
    this.assertLive()
    const { data: d, adr } = this
    const qpos = d.qpos as Float64Array
    const qvel = d.qvel as Float64Array
    const contactSets: Array<Map<string, ContactPair>> = BODIES.map(() => new Map())
    const contacts = d.contact
    try {
      const n = contacts.size()
      for (let i = 0; i < n; i++) {
        const c = contacts.get(i)
        if (c === undefined) continue
        const g1 = c.geom1, g2 = c.geom2, dist = c.dist
        c.delete()
        if (dist > CONTACT_DISTANCE) continue
        const b1 = this.geomBody[g1]!, b2 = this.geomBody[g2]!
        if (b1 === NO_BODY || b2 === NO_BODY || b1 === b2) continue
        const p1: ContactPair = { body: BODIES[b1]!, link: LINKS[this.geomLink[g1]!]! }
        const p2: ContactPair = { body: BODIES[b2]!, link: LINKS[this.geomLink[g2]!]! }
        contactSets[b1]!.set(`${p2.body}/${p2.link}`, p2)
        contactSets[b2]!.set(`${p1.body}/${p1.link}`, p1)
      }
    } finally {
      contacts.delete()
    }
    const blockInfo = (c: BlockColor): BlockInfo => {
      const a = adr.block[c]
      const v = adr.blockDof[c]
      const quat = [qpos[a + 3]!, qpos[a + 4]!, qpos[a + 5]!, qpos[a + 6]!] as const
      quatToMat(quat, this.tmpMat)
      const R = this.tmpMat
      // MuJoCo's free-joint angular velocity is in the body frame; CALVIN reports it in the world frame.
      const wx = qvel[v + 3]!, wy = qvel[v + 4]!, wz = qvel[v + 5]!
      return {
        position: [qpos[a]!, qpos[a + 1]!, qpos[a + 2]!],
        quaternion: quat,
        linearVelocity: [qvel[v]!, qvel[v + 1]!, qvel[v + 2]!],
        angularVelocity: [R[0]! * wx + R[1]! * wy + R[2]! * wz, R[3]! * wx + R[4]! * wy + R[5]! * wz, R[6]! * wx + R[7]! * wy + R[8]! * wz],
        contacts: [...contactSets[BLOCK_BODY_INDEX[c]]!.values()]
      }
    }
    return {
      robotObs: this.robotObs(),
      sceneObs: this.sceneObs(),
      robotContacts: [...contactSets[0]!.values()],
      blocks: { red: blockInfo("red"), blue: blockInfo("blue"), pink: blockInfo("pink") },
      doors: { slider: qpos[adr.slide]!, drawer: qpos[adr.drawer]!, button: qpos[adr.button]!, switch: qpos[adr.switch]! },
      lights: { led: this.led, lightbulb: this.bulb }
    }
  }

  /**
   * robot_obs, scene_obs and the requested images (H×W×3 uint8) and depth (H×W float32, m). Without an argument it
   * renders both RGB cameras when the table was loaded with `cameras: true`, else none.
   *
   * @since 0.1.0
   */
  observe(cameras?: CameraRequest): SimObservation {
    this.assertLive()
    const req: CameraRequest = cameras ?? (this.camerasByDefault ? { rgbStatic: true, rgbGripper: true } : {})
    const wantDepth = req.depth === true
    const wantIds = req.geomIds === true
    let rgbStatic: Uint8Array | undefined
    let rgbGripper: Uint8Array | undefined
    let depthStatic: Float32Array | undefined
    let depthGripper: Float32Array | undefined
    let idsStatic: Int32Array | undefined
    let idsGripper: Int32Array | undefined
    if (req.rgbStatic === true || ((wantDepth || wantIds) && req.rgbGripper !== true && req.rgbStatic !== false)) {
      const cam = (this.staticCam ??= this.makeCamera(STATIC_CAMERA))
      const n = STATIC_CAMERA.width * STATIC_CAMERA.height
      rgbStatic = req.rgbStatic === true ? new Uint8Array(n * 3) : undefined
      depthStatic = wantDepth ? new Float32Array(n) : undefined
      idsStatic = wantIds ? new Int32Array(n) : undefined
      const axes = STATIC_AXES
      cam.render(STATIC_POSE.eye, axes.right, axes.up, axes.forward, rgbStatic, depthStatic, idsStatic)
    }
    if (req.rgbGripper === true) {
      const cam = (this.gripperCam ??= this.makeCamera(GRIPPER_CAMERA))
      const n = GRIPPER_CAMERA.width * GRIPPER_CAMERA.height
      rgbGripper = new Uint8Array(n * 3)
      depthGripper = wantDepth ? new Float32Array(n) : undefined
      idsGripper = wantIds ? new Int32Array(n) : undefined
      const { eye, right, up, forward } = this.gripperCameraPose()
      cam.render(eye, right, up, forward, rgbGripper, depthGripper, idsGripper)
    }
    const obs: { -readonly [K in keyof SimObservation]: SimObservation[K] } = { robotObs: this.robotObs(), sceneObs: this.sceneObs() }
    if (rgbStatic !== undefined) obs.rgbStatic = { data: rgbStatic, height: STATIC_CAMERA.height, width: STATIC_CAMERA.width }
    if (rgbGripper !== undefined) obs.rgbGripper = { data: rgbGripper, height: GRIPPER_CAMERA.height, width: GRIPPER_CAMERA.width }
    if (depthStatic !== undefined) obs.depthStatic = depthStatic
    if (depthGripper !== undefined) obs.depthGripper = depthGripper
    if (idsStatic !== undefined) obs.geomIdsStatic = idsStatic
    if (idsGripper !== undefined) obs.geomIdsGripper = idsGripper
    return obs
  }

  /** A camera of the chosen renderer; the rasteriser's triangles are built once per table and shared. */
  private makeCamera(spec: CameraSpec): FrameRenderer {
    if (this.renderer === "raycast") return new RayCamera(this.mj, this.model, this.data, spec, this.surfaces)
    const mesh = (this.sceneMesh ??= buildSceneMesh(this.model))
    return new RasterCamera(this.model, this.data, spec, this.surfaces, mesh)
  }

  /**
   * The geom name of a geom id (as in `geomIds` images), or undefined for −1 / out of range.
   *
   * @since 0.1.0
   */
  geomName(id: number): string | undefined {
    this.assertLive()
    if (!Number.isInteger(id) || id < 0 || id >= this.model.ngeom) return undefined
    return this.mj.mj_id2name(this.model, this.mj.mjtObj.mjOBJ_GEOM.value, id) ?? undefined
  }

  /** The gripper camera's eye and axes from the `gripper_cam` site: looks along site +y, image-up is site −z. */
  private gripperCameraPose(): { eye: Array<number>; right: Array<number>; up: Array<number>; forward: Array<number> } {
    const d = this.data
    const s = this.adr.camSite
    const p = d.site_xpos as Float64Array
    const R = d.site_xmat as Float64Array
    const o = s * 9
    const forward = [R[o + 1]!, R[o + 4]!, R[o + 7]!]
    const up = [-R[o + 2]!, -R[o + 5]!, -R[o + 8]!]
    const right = [forward[1]! * up[2]! - forward[2]! * up[1]!, forward[2]! * up[0]! - forward[0]! * up[2]!, forward[0]! * up[1]! - forward[1]! * up[0]!]
    return { eye: [p[s * 3]!, p[s * 3 + 1]!, p[s * 3 + 2]!], right, up, forward }
  }

  /**
   * World position (geom centre) and rgba of a named geom, e.g. `table/button_link/cap` (for tests and tools).
   *
   * @since 0.1.0
   */
  geom(name: string): { readonly position: [number, number, number]; readonly rgba: [number, number, number, number] } {
    this.assertLive()
    const id = this.mj.mj_name2id(this.model, this.mj.mjtObj.mjOBJ_GEOM.value, name)
    if (id < 0) throw new SimError({ reason: "InvalidState", message: `no geom named ${JSON.stringify(name)}` })
    const p = this.data.geom_xpos as Float64Array
    const c = this.model.geom_rgba as Float32Array
    return { position: [p[id * 3]!, p[id * 3 + 1]!, p[id * 3 + 2]!], rgba: [c[id * 4]!, c[id * 4 + 1]!, c[id * 4 + 2]!, c[id * 4 + 3]!] }
  }

  /**
   * Snapshot the full state (copied out; safe to keep and to restore into this or another table of the same scene).
   *
   * @since 0.1.0
   */
  saveState(): PlayTableState {
    this.assertLive()
    const { mj, model: m, data: d } = this
    const spec = mj.mjtState.mjSTATE_INTEGRATION.value
    const buffer = new mj.DoubleBuffer(mj.mj_stateSize(m, spec))
    try {
      mj.mj_getState(m, d, buffer, spec)
      return {
        scene: this.scene,
        physics: Float64Array.from(buffer.GetView() as Float64Array),
        targetPos: [this.targetPos[0]!, this.targetPos[1]!, this.targetPos[2]!],
        targetEuler: [this.targetEuler[0]!, this.targetEuler[1]!, this.targetEuler[2]!],
        servo: Array.from(this.servo),
        gripperAction: this.gripperAction,
        led: this.led,
        lightbulb: this.bulb,
        lastButton: this.lastButton,
        stepCount: this.stepCount
      }
    } finally {
      buffer.delete()
    }
  }

  /**
   * Restore a snapshot from `saveState`. Fails with SimError "InvalidState" for another scene's snapshot.
   *
   * @since 0.1.0
   */
  restoreState(state: PlayTableState): void {
    this.assertLive()
    const { mj, model: m, data: d } = this
    const spec = mj.mjtState.mjSTATE_INTEGRATION.value
    if (state.scene !== this.scene || state.physics.length !== mj.mj_stateSize(m, spec) || state.servo.length !== 7) {
      throw new SimError({ reason: "InvalidState", message: `snapshot of scene ${state.scene} (${state.physics.length} values) does not fit scene ${this.scene}` })
    }
    mj.mj_setState(m, d, state.physics as unknown as Array<number>, spec)
    this.targetPos.set(state.targetPos)
    this.targetEuler.set(state.targetEuler)
    this.servo.set(state.servo)
    this.gripperAction = state.gripperAction
    this.led = state.led
    this.bulb = state.lightbulb
    this.lastButton = state.lastButton
    this.stepCount = state.stepCount
    this.applyGripper()
    mj.mj_forward(m, d)
    this.paintLights()
  }

  /** Current target pose (position + Euler) the relative actions accumulate onto. @since 0.1.0 */
  targetPose(): { readonly position: [number, number, number]; readonly euler: [number, number, number] } {
    this.assertLive()
    return { position: [this.targetPos[0]!, this.targetPos[1]!, this.targetPos[2]!], euler: [this.targetEuler[0]!, this.targetEuler[1]!, this.targetEuler[2]!] }
  }

  /** True once `dispose` ran. @since 0.1.0 */
  get released(): boolean {
    return this.disposed
  }

  /**
   * Frees the WASM objects (cameras, data, model) exactly once; calling it again does nothing. Every other
   * method then fails with SimError "Released".
   *
   * @since 0.1.0
   */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.staticCam?.dispose()
    this.gripperCam?.dispose()
    this.data.delete()
    this.model.delete()
  }
}

const STATIC_AXES = lookAt(STATIC_POSE.eye, STATIC_POSE.target, STATIC_POSE.up)
