/**
 * Scripted privileged-state experts for the 34 CALVIN tasks: what a teleoperator does, as small waypoint state
 * machines. They read only `robot_obs` (TCP pose, gripper width) and `scene_obs` (doors, lights, block poses)
 * plus the scene's layout constants, and emit CALVIN relative actions, so the same expert runs in-process, over
 * the wire as a policy, or as the benchmark's oracle.
 *
 * Conventions (reference/calvin.md §2): relative action = (target − tcp) / 0.02 m and wrapped Euler error / 0.05 rad,
 * clipped to [−1, 1]; gripper +1 open, −1 close. The gripper points down (roll π, pitch 0); its jaws open along
 * world x when the TCP yaw is π/2, so a block is grasped with the TCP yaw equal to the block yaw (mod π).
 *
 * @since 0.1.0
 */
import type { Action7 } from "@robovla/sdk"
import {
  BUTTON,
  buttonTopPosition,
  doorHandlePosition,
  DRAWER,
  drawerHandlePosition,
  drawerInteriorPosition,
  SCENES,
  type SceneId,
  SLANT_OUT,
  SLANT_UP,
  SWITCH,
  switchHandlePosition
} from "../scene/SceneLayout.ts"
import type { BlockColor } from "../SimInfo.ts"
import { blockOfTask, type TaskName } from "../tasks/Tasks.ts"

/**
 * A scripted expert: `reset()` at the start of each subtask, then one `act` per control step.
 *
 * @since 0.1.0
 * @category models
 */
export interface Expert {
  readonly task: TaskName
  readonly reset: () => void
  readonly act: (robotObs: ReadonlyArray<number>, sceneObs: ReadonlyArray<number>) => Action7
  /** The current phase name (for logs and tests). */
  readonly phase: () => string
}

type V3 = readonly [number, number, number]

/** What the expert reads each step. */
interface Obs {
  readonly tcp: V3
  readonly euler: V3
  readonly width: number
  /** The last gripper command (robot_obs[14]). */
  readonly gripper: 1 | -1
  readonly scene: ReadonlyArray<number>
}

interface Target {
  readonly pos: V3
  readonly yaw: number
  readonly grip: 1 | -1
  /** Orientation besides yaw; default roll π, pitch 0 (pointing down). */
  readonly roll?: number
  readonly pitch?: number
  /** Proportional gain on position error (1 = close the error in one step, clipped). */
  readonly gain?: number
  /** Largest action magnitude per axis (speed limit), default 1. */
  readonly speed?: number
  /** Guarded vertical move: hold the height while the horizontal error exceeds this many metres. */
  readonly guard?: number
  /** Gain on orientation error (default 0.7). */
  readonly ogain?: number
}

/** Per-episode memory a plan writes at phase entry (grasp yaw, start positions, …). */
type Memory = Record<string, number>

interface Phase {
  readonly name: string
  readonly enter?: (o: Obs, m: Memory) => void
  readonly target: (o: Obs, m: Memory) => Target
  /** Leave the phase when true (`steps` = steps spent in the phase so far). */
  readonly until: (o: Obs, m: Memory, steps: number, t: Target) => boolean
  /** Checked on entry: when true the phase is skipped. */
  readonly skip?: (o: Obs, m: Memory) => boolean
}

/** Metres / radians per unit of relative action. */
const POS_SCALE = 0.02
const ORN_SCALE = 0.05
const DOWN_ROLL = Math.PI
/** TCP height above a block's centre when grasping it (pads centred on the block's upper half). */
const GRASP_DZ = 0.005
/** Clearance height above a block for approach and retreat. */
const HOVER = 0.1

const clip = (x: number): number => (x > 1 ? 1 : x < -1 ? -1 : x)
const wrap = (a: number): number => {
  let x = (a + Math.PI) % (2 * Math.PI)
  if (x < 0) x += 2 * Math.PI
  return x - Math.PI
}
const dist = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!)
const add = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): V3 => [a[0]! + b[0]!, a[1]! + b[1]!, a[2]! + b[2]!]
const scale = (a: ReadonlyArray<number>, s: number): V3 => [a[0]! * s, a[1]! * s, a[2]! * s]

const BLOCK_INDEX: Readonly<Record<BlockColor, number>> = { red: 0, blue: 1, pink: 2 }
const blockPos = (o: Obs, c: BlockColor): V3 => {
  const k = 6 + 6 * BLOCK_INDEX[c]
  return [o.scene[k]!, o.scene[k + 1]!, o.scene[k + 2]!]
}
const blockYaw = (o: Obs, c: BlockColor): number => o.scene[11 + 6 * BLOCK_INDEX[c]]!

/** The TCP yaw (≡ block yaw mod π) closest to `preferred`: the jaws then close across the block's 4-cm section. */
const graspYaw = (block: number, preferred: number): number => preferred + wrap2(block - preferred)
/** Wrap to [−π/2, π/2) (the block is symmetric under a half turn). */
const wrap2 = (a: number): number => {
  let x = (a + Math.PI / 2) % Math.PI
  if (x < 0) x += Math.PI
  return x - Math.PI / 2
}
/** How far (m, rad) the env's integrated target may lead the measured TCP before an axis stops adding. */
const WINDUP_POS = 0.04
const WINDUP_ORN = 0.25
/** Per-step pull of the windup estimate toward the measured pose. */
const WINDUP_LEAK = 0.03
/** Gains while carrying a 1-kg block: the arm lags more, so a softer loop avoids a limit cycle. */
const CARRY = { gain: 0.4, speed: 0.5, ogain: 0.4 } as const
/** Finger lean (rad) toward the cabinet when reaching into the compartment behind the sliding door. */
const SLIDER_TILT = 0.7
/** Finger lean toward the cabinet for the switch (its lever is at the edge of the vertical-gripper workspace). */
const SWITCH_TILT = 0.4
/** A smaller lean when setting a held block down in the compartment (the block leans with the gripper). */
const PLACE_TILT = 0.3
/** Wrap to [−π/4, π/4). */
const wrapQuarter = (a: number): number => {
  let x = (a + Math.PI / 4) % (Math.PI / 2)
  if (x < 0) x += Math.PI / 2
  return x - Math.PI / 4
}
/** Yaw of the neutral pose; staying near it keeps joint 7 far from its limits. */
const NEUTRAL_YAW = 1.5

/** Reached: position within `tol` metres and every Euler angle within 0.08 rad. */
const near = (o: Obs, t: Target, tol: number): boolean =>
  dist(o.tcp, t.pos) < tol &&
  Math.abs(wrap(t.yaw - o.euler[2])) < 0.08 &&
  Math.abs(wrap((t.pitch ?? 0) - o.euler[1])) < 0.08 &&
  Math.abs(wrap((t.roll ?? DOWN_ROLL) - o.euler[0])) < 0.08

/** The relative action that drives the TCP toward `t`. */
const actionToward = (o: Obs, t: Target): Action7 => {
  const g = t.gain ?? 0.6
  const v = t.speed ?? 1
  const og = t.ogain ?? 0.5
  const e = [t.pos[0] - o.tcp[0], t.pos[1] - o.tcp[1], t.pos[2] - o.tcp[2]]
  if (t.guard !== undefined && Math.hypot(e[0]!, e[1]!) > t.guard) e[2] = 0
  const lim = (x: number): number => Math.max(-v, Math.min(v, x))
  return [
    lim((g * e[0]!) / POS_SCALE),
    lim((g * e[1]!) / POS_SCALE),
    lim((g * e[2]!) / POS_SCALE),
    clip((og * wrap((t.roll ?? DOWN_ROLL) - o.euler[0])) / ORN_SCALE),
    clip((og * wrap((t.pitch ?? 0) - o.euler[1])) / ORN_SCALE),
    clip((og * wrap(t.yaw - o.euler[2])) / ORN_SCALE),
    t.grip
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

/** A phase that moves to a fixed-or-computed target and ends when reached (or after `maxSteps`). */
const moveTo = (
  name: string,
  target: (o: Obs, m: Memory) => Target,
  tol = 0.012,
  maxSteps = 80
): Phase => ({ name, target, until: (o, m, steps, t) => settled(o, m, t, tol) || steps >= maxSteps })

/** Near the target and (almost) at rest: moved less than 3 mm since the previous step. */
const settled = (o: Obs, m: Memory, t: Target, tol: number): boolean => {
  const moved = m.px === undefined ? Infinity : Math.hypot(o.tcp[0] - m.px, o.tcp[1] - m.py!, o.tcp[2] - m.pz!)
  m.px = o.tcp[0]
  m.py = o.tcp[1]
  m.pz = o.tcp[2]
  return near(o, t, tol) && moved < 0.003
}

/** A phase that holds a target for `steps` steps (grasp closing, release). */
const hold = (name: string, target: (o: Obs, m: Memory) => Target, steps: number): Phase => ({
  name,
  target,
  until: (_o, _m, n) => n >= steps
})

const remember = (m: Memory, key: string, v: ReadonlyArray<number>): void => {
  m[`${key}0`] = v[0]!
  m[`${key}1`] = v[1]!
  m[`${key}2`] = v[2]!
}
const recall = (m: Memory, key: string): V3 => [m[`${key}0`]!, m[`${key}1`]!, m[`${key}2`]!]

/** The arm's base (world x, y): reach falls off with horizontal distance from it. */
const ARM_BASE: readonly [number, number] = [-0.34, -0.46]

/**
 * Roll and pitch that lean the fingers by `alpha` toward world azimuth `theta` for a TCP yaw `yaw` (R = Rz·Ry·Rx,
 * fingers along the TCP z axis, pointing down at roll π, pitch 0).
 */
const leanToward = (theta: number, alpha: number, yaw: number): { roll: number; pitch: number } => {
  const r = Math.asin(Math.sin(theta - yaw) * Math.sin(alpha))
  const pitch = Math.asin(Math.max(-1, Math.min(1, (-Math.cos(theta - yaw) * Math.sin(alpha)) / Math.cos(r))))
  return { roll: wrap(Math.PI + r), pitch }
}

/**
 * Far from the arm's base the vertical-gripper pose runs out of reach (about 0.75 m horizontally): lean the fingers
 * away from the base there, which pulls the wrist back. Zero lean within 0.62 m, up to 0.45 rad at 0.8 m.
 */
const reachLean = (x: number, y: number, yaw: number): { roll: number; pitch: number } => {
  const d = Math.hypot(x - ARM_BASE[0], y - ARM_BASE[1])
  const alpha = Math.max(0, Math.min(0.45, ((d - 0.62) / 0.18) * 0.45))
  return alpha === 0 ? { roll: DOWN_ROLL, pitch: 0 } : leanToward(Math.atan2(y - ARM_BASE[1], x - ARM_BASE[0]), alpha, yaw)
}

/** 2-D oriented rectangle: centre, unit axis, half extents along the axis and across it. */
interface Rect {
  readonly c: readonly [number, number]
  readonly a: readonly [number, number]
  readonly ha: number
  readonly hb: number
}
const rectsOverlap = (r: Rect, q: Rect): boolean => {
  const axes = [r.a, [-r.a[1], r.a[0]] as const, q.a, [-q.a[1], q.a[0]] as const]
  const d = [q.c[0] - r.c[0], q.c[1] - r.c[1]]
  const radius = (x: Rect, n: readonly [number, number]): number =>
    x.ha * Math.abs(x.a[0] * n[0] + x.a[1] * n[1]) + x.hb * Math.abs(-x.a[1] * n[0] + x.a[0] * n[1])
  return axes.every((n) => Math.abs(d[0]! * n[0] + d[1]! * n[1]) <= radius(r, n) + radius(q, n))
}

/**
 * Where along its long axis to grasp a block so that neither open finger lands on a neighbouring block (blocks
 * pushed next to each other): the offset (m, along the block's local x) closest to the centre that keeps both finger
 * footprints 4 mm clear of every other block at the same height.
 */
const graspOffset = (scene: SceneId, o: Obs, color: BlockColor, yaw: number): number | undefined => {
  const c = blockPos(o, color)
  const by = blockYaw(o, color)
  const a: [number, number] = [Math.cos(by), Math.sin(by)]
  const j: [number, number] = [Math.sin(yaw), -Math.cos(yaw)]
  const length = SCENES[scene].blockLength[color]
  const others: Array<Rect> = (["red", "blue", "pink"] as const)
    .filter((k) => k !== color && Math.abs(blockPos(o, k)[2] - c[2]) < 0.03)
    .map((k) => {
      const p = blockPos(o, k)
      const y = blockYaw(o, k)
      return { c: [p[0], p[1]], a: [Math.cos(y), Math.sin(y)], ha: SCENES[scene].blockLength[k] / 2, hb: 0.02 }
    })
  if (others.length === 0) return 0
  const clear = (u: number): boolean =>
    [1, -1].every((side) => {
      const f: Rect = {
        c: [c[0] + u * a[0] + side * 0.0505 * j[0], c[1] + u * a[1] + side * 0.0505 * j[1]],
        a: j,
        ha: 0.0105 + 0.004,
        hb: 0.0115 + 0.004
      }
      return others.every((q) => !rectsOverlap(f, q))
    })
  const max = Math.max(0, length / 2 - 0.014)
  for (let k = 0; k * 0.004 <= max + 1e-9; k++) {
    for (const u of k === 0 ? [0] : [k * 0.004, -k * 0.004]) if (Math.abs(u) <= max && clear(u)) return u
  }
  return undefined
}

/**
 * The grasp for a block: jaws across its 4-cm section (yaw ≡ block yaw mod π, nearest `preferred`), shifted along the
 * block if a neighbour is in a finger's way; failing that, for blocks short enough for the 8-cm opening, jaws along
 * its length (yaw + π/2), whose fingers land on the block's free ends.
 */
const chooseGrasp = (scene: SceneId, o: Obs, color: BlockColor, preferred: number): { yaw: number; u: number } => {
  const yaw = graspYaw(blockYaw(o, color), preferred)
  const u = graspOffset(scene, o, color, yaw)
  if (u !== undefined) return { yaw, u }
  if (SCENES[scene].blockLength[color] <= 0.062) {
    const turned = [yaw + Math.PI / 2, yaw - Math.PI / 2].sort((a, b) => Math.abs(a - preferred) - Math.abs(b - preferred))[0]!
    if (graspOffset(scene, o, color, turned) === 0) return { yaw: turned, u: 0 }
  }
  return { yaw, u: 0 }
}

/**
 * Pick a block: hover above it with the jaws across its section, descend, close, lift by `lift` metres.
 * Leaves memory `grasp` (TCP position at grasp) and `yaw` (grasp yaw).
 */
const pickPhases = (
  scene: SceneId,
  color: BlockColor,
  lift: number,
  preferredYaw: (m: Memory) => number = () => NEUTRAL_YAW,
  tilt = 0
): Array<Phase> => {
  // With `tilt`, the fingers lean toward +y (into the cabinet) and the approach runs along the fingers, so the hand
  // stays in front of the cabinet's slanted face.
  const back: V3 = [0, -Math.sin(tilt) * HOVER, Math.cos(tilt) * HOVER]
  const pitch = (m: Memory): number => (tilt === 0 ? 0 : -tilt * Math.sign(Math.sin(m.yaw!)))
  const graspPoint = (o: Obs, m: Memory): V3 => {
    const y = blockYaw(o, color)
    return add(blockPos(o, color), [m.graspU! * Math.cos(y), m.graspU! * Math.sin(y), 0])
  }
  return [
    moveTo("open", (o) => ({ pos: o.tcp, yaw: o.euler[2], grip: 1 }), 1, 4),
    // Into the cabinet only from straight in front of the block, at a height that clears the door handle.
    ...when("travel", (o) => tilt !== 0 && Math.hypot(o.tcp[0] - blockPos(o, color)[0], o.tcp[1] - blockPos(o, color)[1]) > 0.06, [
      moveTo("travel", (o) => ({ pos: [blockPos(o, color)[0], -0.06, 0.64], yaw: graspYaw(blockYaw(o, color), NEUTRAL_YAW), grip: 1 }), 0.02, 80)
    ]),
    {
      name: "above",
      enter: (o, m) => {
        m.yaw = graspYaw(blockYaw(o, color), preferredYaw(m))
        // In the compartment the hand (±10 cm along the jaws) must not swing into the side walls: keep the jaws
        // within 0.12 rad of world x; closing squares a slightly rotated block up.
        if (tilt !== 0) m.yaw = Math.PI / 2 + Math.max(-0.12, Math.min(0.12, wrap(m.yaw - Math.PI / 2)))
        m.pitch = pitch(m)
        m.roll = DOWN_ROLL
        if (tilt === 0) {
          const g = chooseGrasp(scene, o, color, preferredYaw(m))
          m.yaw = g.yaw
          m.graspU = g.u
          const b = blockPos(o, color)
          const lean = reachLean(b[0], b[1], m.yaw)
          m.pitch = lean.pitch
          m.roll = lean.roll
        } else {
          m.graspU = graspOffset(scene, o, color, m.yaw) ?? 0
        }
      },
      target: (o, m) => ({ pos: add(graspPoint(o, m), back), yaw: m.yaw!, roll: m.roll!, pitch: m.pitch!, grip: 1 }),
      until: (o, m, steps, t) => settled(o, m, t, 0.006) || steps >= 90
    },
    moveTo(
      "descend",
      (o, m) => ({
        pos: add(graspPoint(o, m), [0, 0, GRASP_DZ]),
        yaw: m.yaw!,
        roll: m.roll!,
        pitch: m.pitch!,
        grip: 1,
        gain: 0.6,
        speed: 0.6,
        ...(tilt === 0 ? { guard: 0.006 } : {})
      }),
      0.005,
      60
    ),
    {
      name: "close",
      enter: (o, m) => remember(m, "grasp", o.tcp),
      target: (_o, m) => ({ pos: recall(m, "grasp"), yaw: m.yaw!, roll: m.roll!, pitch: m.pitch!, grip: -1 }),
      until: (_o, _m, steps) => steps >= 12
    },
    moveTo("lift", (_o, m) => ({ pos: add(recall(m, "grasp"), [0, 0, lift]), yaw: m.yaw!, roll: m.roll!, pitch: m.pitch!, grip: -1, gain: 0.6 }), 0.01, 60)
  ]
}

/** Release what is held and back off upward. */
const releasePhases = (up = 0.08): Array<Phase> => [
  {
    name: "release",
    enter: (o, m) => remember(m, "release", o.tcp),
    target: (_o, m) => ({ pos: recall(m, "release"), yaw: m.yaw ?? NEUTRAL_YAW, roll: m.roll ?? DOWN_ROLL, pitch: m.pitch ?? 0, grip: 1 }),
    until: (_o, _m, steps) => steps >= 8
  },
  moveTo("retreat", (_o, m) => ({ pos: add(recall(m, "release"), [0, 0, up]), yaw: m.yaw ?? NEUTRAL_YAW, roll: m.roll ?? DOWN_ROLL, pitch: m.pitch ?? 0, grip: 1 }), 0.01, 60)
]

/** Hold the last pose (the oracle ends the episode on success; this only runs when it did not yet). */
const idle = (grip: 1 | -1 = 1): Phase => ({
  name: "idle",
  enter: (o, m) => remember(m, "idle", o.tcp),
  target: (o, m) => ({ pos: recall(m, "idle"), yaw: m.yaw ?? o.euler[2], grip }),
  until: () => false
})

/** Which held block (the one nearest the TCP). */
const heldBlock = (o: Obs): BlockColor => {
  let best: BlockColor = "red"
  let bestD = Infinity
  for (const c of ["red", "blue", "pink"] as const) {
    const d = dist(blockPos(o, c), o.tcp)
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  return best
}

// ---------------------------------------------------------------------------------------------------------------
// Task plans
// ---------------------------------------------------------------------------------------------------------------

const liftPlan = (scene: SceneId, color: BlockColor, surface: "table" | "slider" | "drawer"): Array<Phase> => {
  if (surface !== "slider") return [...pickPhases(scene, color, 0.1), idle(-1)]
  // The block may sit (partly) behind the sliding door, e.g. after a door move that stopped as soon as it counted:
  // first slide the door away from it, far enough for the hand (≈ 10 cm each side along the jaws).
  const covered = (o: Obs): boolean => {
    const x = blockPos(o, color)[0]
    const q = o.scene[0]!
    const s = SCENES[scene]
    return x > s.doorX0 - q - 0.1 && x < s.doorX0 + 0.28 - q + 0.1
  }
  const away = (o: Obs): "left" | "right" => {
    const s = SCENES[scene]
    const centre = s.doorX0 + 0.14 - o.scene[0]!
    return blockPos(o, color)[0] < centre ? "right" : "left"
  }
  return [
    ...when("uncover", (o, m) => {
      m.away = away(o) === "left" ? 1 : 0
      return covered(o)
    }, doorPhases(scene, (m) => (m.away === 1 ? "left" : "right"), 0.3)),
    ...pickPhases(scene, color, 0.05, undefined, SLIDER_TILT),
    idle(-1)
  ]
}

/** Rotate: grasp, lift 2 cm, turn the yaw by ±75°, put it down, let go. */
const rotatePlan = (scene: SceneId, color: BlockColor, direction: "left" | "right"): Array<Phase> => {
  const delta = direction === "left" ? 1.3 : -1.3
  return [
    // Choose the grasp yaw so that the yaw after turning stays near neutral (joint 7 limits).
    ...pickPhases(scene, color, 0.025, () => NEUTRAL_YAW - delta / 2),
    moveTo("turn", (_o, m) => ({ pos: add(recall(m, "grasp"), [0, 0, 0.025]), yaw: m.yaw! + delta, roll: m.roll!, pitch: m.pitch!, grip: -1 }), 0.01, 60),
    moveTo("lower", (_o, m) => ({ pos: add(recall(m, "grasp"), [0, 0, 0.002]), yaw: m.yaw! + delta, roll: m.roll!, pitch: m.pitch!, grip: -1, gain: 0.5 }), 0.005, 30),
    {
      name: "release",
      enter: (o, m) => {
        remember(m, "release", o.tcp)
        m.yaw = m.yaw! + delta
      },
      target: (_o, m) => ({ pos: recall(m, "release"), yaw: m.yaw!, roll: m.roll!, pitch: m.pitch!, grip: 1 }),
      until: (_o, _m, steps) => steps >= 8
    },
    moveTo("retreat", (_o, m) => ({ pos: add(recall(m, "release"), [0, 0, 0.08]), yaw: m.yaw!, roll: m.roll!, pitch: m.pitch!, grip: 1 }), 0.01, 60),
    idle()
  ]
}

/** Half extent of a block along world x / y for its yaw (section 0.04, length from the scene). */
const halfExtent = (scene: SceneId, color: BlockColor, yaw: number): { x: number; y: number } => {
  const l = SCENES[scene].blockLength[color] / 2
  const w = 0.02
  return {
    x: Math.abs(Math.cos(yaw)) * l + Math.abs(Math.sin(yaw)) * w,
    y: Math.abs(Math.sin(yaw)) * l + Math.abs(Math.cos(yaw)) * w
  }
}

/** Fingertip clearance: the closed finger pair is about 2.1 cm across its jaw axis and 2.3 cm thick. */
const FINGER_HALF = 0.013

/** Push a block along x with the closed gripper, from beside it at table height. */
const pushPlan = (scene: SceneId, color: BlockColor, direction: "left" | "right"): Array<Phase> => {
  const s = direction === "right" ? 1 : -1
  const start = (o: Obs): V3 => {
    const p = blockPos(o, color)
    const e = halfExtent(scene, color, blockYaw(o, color))
    return [p[0] - s * (e.x + FINGER_HALF + 0.02), p[1], p[2] + 0.012]
  }
  return [
    moveTo("close", (o) => ({ pos: o.tcp, yaw: NEUTRAL_YAW, grip: -1 }), 1, 6),
    moveTo("beside-above", (o) => ({ pos: add(start(o), [0, 0, HOVER]), yaw: NEUTRAL_YAW, grip: -1 }), 0.015, 90),
    {
      name: "beside",
      target: (o) => ({ pos: start(o), yaw: NEUTRAL_YAW, grip: -1, gain: 0.7 }),
      until: (o, m, steps, t) => {
        const done = near(o, t, 0.008) || steps >= 50
        if (done) remember(m, "push", t.pos)
        return done
      }
    },
    moveTo("push", (_o, m) => ({ pos: add(recall(m, "push"), [s * 0.2, 0, 0]), yaw: NEUTRAL_YAW, grip: -1, gain: 0.5, speed: 0.35 }), 0.01, 90),
    idle(-1)
  ]
}

/** Sliding door: straddle the vertical handle bar with open jaws, close on it, slide along x, let go. */
const sliderPlan = (scene: SceneId, direction: "left" | "right"): Array<Phase> => [...doorPhases(scene, () => direction, 0.22), idle()]

/**
 * Straddle the door's vertical handle bar with open jaws, close on it, slide the door `distance` metres toward
 * `direction(m)` (clamped to its travel), let go. Positive joint = door moves −x ("left").
 */
const doorPhases = (scene: SceneId, direction: (m: Memory) => "left" | "right", distance: number): Array<Phase> => {
  const handle = (o: Obs): V3 => doorHandlePosition(scene, o.scene[0]!)
  const grabZ = (p: V3): V3 => [p[0], p[1], 0.585]
  const goal = (m: Memory): number =>
    direction(m) === "left" ? Math.min(SCENES[scene].doorTravel, m.q0! + distance) : Math.max(0, m.q0! - distance)
  return [
    moveTo("door-travel", (o) => ({ pos: add(grabZ(handle(o)), [0, -0.05, 0.1]), yaw: NEUTRAL_YAW, grip: 1 }), 0.02, 80),
    {
      name: "door-above",
      enter: (o, m) => {
        m.q0 = o.scene[0]!
      },
      target: (o) => ({ pos: add(grabZ(handle(o)), [0, 0, 0.09]), yaw: NEUTRAL_YAW, grip: 1 }),
      until: (o, m, steps, t) => settled(o, m, t, 0.01) || steps >= 90
    },
    moveTo("door-descend", (o) => ({ pos: grabZ(handle(o)), yaw: NEUTRAL_YAW, grip: 1, speed: 0.6, guard: 0.006 }), 0.006, 50),
    hold("door-grip", (o) => ({ pos: grabZ(handle(o)), yaw: NEUTRAL_YAW, grip: -1 }), 10),
    moveTo("door-slide", (_o, m) => ({ pos: grabZ(doorHandlePosition(scene, goal(m))), yaw: NEUTRAL_YAW, grip: -1, gain: 0.5 }), 0.01, 120),
    ...releasePhases(0.06)
  ]
}

/** Run `phases` only when `cond` holds when the first of them is reached. */
const when = (key: string, cond: (o: Obs, m: Memory) => boolean, phases: Array<Phase>): Array<Phase> =>
  phases.map((phase, i) => ({
    ...phase,
    skip: (o: Obs, m: Memory) => {
      if (i === 0) m[key] = cond(o, m) ? 1 : 0
      return m[key] !== 1
    }
  }))

/** Closed on something (a block): the fingers stopped before closing fully. */
const holding = (o: Obs): boolean => o.gripper < 0 && o.width > 0.01

/**
 * Start of every plan: a previous subtask may have left the hand low or inside the cabinet. Back out of the cabinet
 * (y ≤ −0.06) at the current height, then rise to a travel height, fingers pointing down.
 */
const clearPhases = (grip: (o: Obs) => 1 | -1): Array<Phase> => [
  ...when("mustBackOut", (o) => o.tcp[1] > -0.03 && o.tcp[2] < 0.62, [
    {
      name: "back-out",
      enter: (o, m) => remember(m, "clear", o.tcp),
      target: (o, m) => {
        const c = recall(m, "clear")
        // Back along the (possibly leaning) fingers: out of the compartment and a little up.
        return { pos: [c[0], Math.min(-0.07, c[1] - 0.12), c[2] + 0.05], yaw: o.euler[2], pitch: o.euler[1], roll: o.euler[0], grip: grip(o), gain: 0.5, speed: 0.6 }
      },
      until: (o, m, steps, t) => settled(o, m, t, 0.015) || steps >= 40
    }
  ]),
  ...when("mustRise", (o) => o.tcp[2] < 0.53 || (Math.abs(o.euler[1]) > 0.2 && !holding(o)), [
    {
      name: "rise",
      enter: (o, m) => {
        remember(m, "clear", o.tcp)
        m.clearRoll = holding(o) ? o.euler[0] : DOWN_ROLL
        m.clearPitch = holding(o) ? o.euler[1] : 0
      },
      target: (o, m) => {
        const c = recall(m, "clear")
        return { pos: [c[0], c[1], Math.max(c[2], 0.56)], yaw: o.euler[2], roll: m.clearRoll!, pitch: m.clearPitch!, grip: grip(o), gain: 0.5, speed: 0.6 }
      },
      until: (o, m, steps, t) => settled(o, m, t, 0.015) || steps >= 40
    }
  ])
]

/** Drawer: jaws turned along y, close on the handle bar, pull along −y (open) or push along +y (close). */
const drawerPlan = (scene: SceneId, open: boolean): Array<Phase> => {
  const yaw = 0 // jaws along world y, across the horizontal bar
  if (open) {
    // Hook: the closed finger pair drops into the gap between the bar and the drawer front and pulls along −y.
    // Jaws along x keep the hand's long side parallel to the bar, away from blocks on the desk.
    const hook = (q: number): V3 => {
      const h = drawerHandlePosition(scene, q)
      return [h[0], h[1] + DRAWER.handleHalfT + FINGER_HALF + 0.006, h[2] + 0.004]
    }
    return [
      moveTo("close", (o) => ({ pos: o.tcp, yaw: NEUTRAL_YAW, grip: -1 }), 1, 6),
      moveTo("above", (o) => ({ pos: add(hook(o.scene[1]!), [0, 0, 0.1]), yaw: NEUTRAL_YAW, grip: -1 }), 0.008, 90),
      moveTo("descend", (o) => ({ pos: hook(o.scene[1]!), yaw: NEUTRAL_YAW, grip: -1, speed: 0.6, guard: 0.006 }), 0.006, 50),
      moveTo("pull", () => ({ pos: hook(0.21), yaw: NEUTRAL_YAW, grip: -1, gain: 0.5, speed: 0.6 }), 0.01, 120),
      {
        name: "up",
        enter: (o, m) => remember(m, "pulled", o.tcp),
        target: (_o, m) => ({ pos: add(recall(m, "pulled"), [0, -0.02, 0.08]), yaw: NEUTRAL_YAW, grip: -1 }),
        until: (o, m, steps, t) => settled(o, m, t, 0.01) || steps >= 40
      },
      idle(-1)
    ]
  }
  // Close: push the handle's front face with the closed fingers.
  const front = (q: number): V3 => {
    const h = drawerHandlePosition(scene, q)
    return [h[0], h[1] - DRAWER.handleHalfT - FINGER_HALF - 0.012, h[2]]
  }
  return [
    moveTo("close", (o) => ({ pos: o.tcp, yaw, grip: -1 }), 1, 6),
    moveTo("above", (o) => ({ pos: add(front(o.scene[1]!), [0, 0, 0.1]), yaw, grip: -1 }), 0.012, 90),
    moveTo("descend", (o) => ({ pos: front(o.scene[1]!), yaw, grip: -1, gain: 0.7 }), 0.008, 50),
    moveTo("push", () => ({ pos: front(0), yaw, grip: -1, gain: 0.5 }), 0.01, 120),
    idle(-1)
  ]
}

/** Button: closed fingers above the cap, press 1.5 cm down, come back up. */
const buttonPlan = (scene: SceneId): Array<Phase> => {
  const top = buttonTopPosition(scene, 0)
  const FINGERTIP = 0.02 // the finger tips end ≈ 2 cm beyond the TCP
  return [
    moveTo("close", (o) => ({ pos: o.tcp, yaw: NEUTRAL_YAW, grip: -1 }), 1, 6),
    moveTo("above", () => ({ pos: add(top, [0, 0, FINGERTIP + 0.05]), yaw: NEUTRAL_YAW, grip: -1 }), 0.01, 90),
    moveTo("press", () => ({ pos: add(top, [0, 0, FINGERTIP - BUTTON.topZ + 0.469]), yaw: NEUTRAL_YAW, grip: -1, gain: 0.6 }), 0.004, 40),
    moveTo("up", () => ({ pos: add(top, [0, 0, FINGERTIP + 0.05]), yaw: NEUTRAL_YAW, grip: -1 }), 0.01, 40),
    idle(-1)
  ]
}

/**
 * Switch: the lever slides along the slanted face. Turn on: the flat back of the closed fingers pushes the lever's
 * lower outer edge toward +y (its normal force has an up-the-slope component). Turn off: the finger tips press its
 * upper face down the slope.
 */
const switchPlan = (scene: SceneId, on: boolean): Array<Phase> => {
  // The switch sits at the edge of the arm's reach: lean the fingers into the cabinet (pitch −0.4 at yaw π/2),
  // which pulls the wrist back toward the robot.
  const pitch = -SWITCH_TILT
  const d: V3 = [0, Math.sin(SWITCH_TILT), -Math.cos(SWITCH_TILT)] // finger direction (TCP → tip)
  const n: V3 = [0, Math.cos(SWITCH_TILT), Math.sin(SWITCH_TILT)] // the fingers' cabinet-facing side
  const centre = (q: number): V3 => switchHandlePosition(scene, q)
  const x = SCENES[scene].switchX
  const pose = { yaw: NEUTRAL_YAW, pitch, grip: -1 as const }
  if (on) {
    // Lower outer edge of the lever; the fingers' cabinet-facing side pushes it (force along n, 0.8 of it up the slope).
    const edge = (q: number): V3 =>
      add(add(centre(q), scale(SLANT_OUT, SWITCH.halfOut)), scale(SLANT_UP, -SWITCH.halfAlong))
    const contact = (q: number, gap: number): V3 => add(edge(q), scale(n, -(FINGER_HALF + gap)))
    return [
      moveTo("close", (o) => ({ pos: o.tcp, ...pose }), 1, 6),
      // Come in high and from the front: the door handle sticks out on the way along the cabinet.
      moveTo("travel", () => ({ pos: [x, -0.1, 0.66], ...pose }), 0.03, 80),
      moveTo("front-above", (o) => ({ pos: add(contact(o.scene[3]!, 0.03), [0, 0, 0.06]), ...pose }), 0.012, 90),
      moveTo("front", (o) => ({ pos: contact(o.scene[3]!, 0.03), ...pose, gain: 0.6 }), 0.006, 50),
      moveTo("push", () => ({ pos: add(contact(0.085, -0.004), scale(SLANT_UP, 0.01)), ...pose, gain: 0.5, speed: 0.5 }), 0.006, 90),
      moveTo("back", () => ({ pos: add(contact(0.085, 0.05), [0, 0, 0.03]), ...pose }), 0.01, 40),
      idle(-1)
    ]
  }
  // Turn off: the finger tips press the lever's upper face (normal SLANT_UP) down the slope.
  const upper = (q: number): V3 => add(centre(q), scale(SLANT_UP, SWITCH.halfAlong))
  const press = (q: number, lift: number): V3 => add(add(upper(q), scale(SLANT_UP, 0.004 + lift)), scale(d, -0.02))
  return [
    moveTo("close", (o) => ({ pos: o.tcp, ...pose }), 1, 6),
    moveTo("travel", () => ({ pos: [x, -0.1, 0.66], ...pose }), 0.03, 80),
    moveTo("above", (o) => ({ pos: press(o.scene[3]!, 0.05), ...pose }), 0.012, 90),
    moveTo("touch", (o) => ({ pos: press(o.scene[3]!, 0.002), ...pose, gain: 0.6 }), 0.006, 40),
    moveTo("press", () => ({ pos: press(-0.012, -0.004), ...pose, gain: 0.5, speed: 0.5 }), 0.006, 90),
    moveTo("up", () => ({ pos: press(0, 0.06), ...pose }), 0.01, 40),
    idle(-1)
  ]
}

/** Carry the held block to `place` (block-centre target), lower it there and let go. */
/** Orientation while carrying: the grasp yaw and the lean the block was picked with. */
const held = (m: Memory) => ({ yaw: m.yaw!, roll: m.roll ?? DOWN_ROLL, pitch: m.pitch ?? 0 })

const carryAndRelease = (place: (o: Obs, m: Memory) => V3, approachHeight: number, via?: (o: Obs, m: Memory) => V3): Array<Phase> => {
  // The TCP sits GRASP_DZ above the block centre while holding it.
  const tcpFor = (p: V3): V3 => [p[0], p[1], p[2] + GRASP_DZ]
  const phases: Array<Phase> = [
    {
      name: "up",
      enter: (o, m) => {
        m.yaw = graspYaw(o.euler[2], NEUTRAL_YAW)
        // Keep the hand's lean: a block picked with leaning fingers (from the cabinet) then stays level.
        m.roll = o.euler[0]
        m.pitch = o.euler[1]
        remember(m, "start", o.tcp)
      },
      target: (o, m) => ({ pos: [o.tcp[0], o.tcp[1], Math.max(recall(m, "start")[2], approachHeight)], ...held(m), grip: -1 }),
      until: (o, _m, steps, t) => near(o, t, 0.015) || steps >= 40
    }
  ]
  if (via) phases.push(moveTo("via", (o, m) => ({ pos: tcpFor(via(o, m)), ...held(m), grip: -1, ...CARRY }), 0.015, 90))
  phases.push(moveTo("over", (o, m) => ({ pos: tcpFor([place(o, m)[0], place(o, m)[1], approachHeight]), ...held(m), grip: -1, ...CARRY }), 0.01, 90))
  phases.push(
    moveTo("lower", (o, m) => ({ pos: tcpFor(place(o, m)), ...held(m), grip: -1, ...CARRY, guard: 0.008 }), 0.006, 60),
    ...releasePhases(0.0)
  )
  return phases
}

const placeInDrawerPlan = (scene: SceneId): Array<Phase> => [
  ...carryAndRelease((o) => drawerInteriorPosition(scene, o.scene[1]!, 0.025), 0.56),
  moveTo("away", (o) => ({ pos: [o.tcp[0], o.tcp[1], 0.56], yaw: o.euler[2], grip: 1 }), 0.01, 40),
  idle()
]

/**
 * Where to set a block down in the compartment: inside the part the door leaves open, far enough from the
 * compartment's side walls for the hand (≈ 10 cm half-width along the jaws), and as far as possible from blocks
 * already there.
 */
const compartmentSpot = (scene: SceneId, o: Obs, held: BlockColor): number => {
  const s = SCENES[scene]
  const q = o.scene[0]!
  const door: readonly [number, number] = [s.doorX0 - q, s.doorX0 + 0.28 - q]
  const others = (["red", "blue", "pink"] as const)
    .filter((c) => c !== held)
    .map((c) => blockPos(o, c))
    .filter((p) => p[1] > 0.02 && p[2] < 0.52)
    .map((p) => p[0])
  let best = (s.plankXMin + s.plankXMax) / 2
  let bestScore = -Infinity
  for (let x = s.plankXMin + 0.1; x <= s.plankXMax - 0.1 + 1e-9; x += 0.005) {
    // Open fingers reach ≈ 6.5 cm to each side of the TCP: keep them off the door panel's edge.
    const doorGap = x < door[0] ? door[0] - x : x > door[1] ? x - door[1] : -Math.min(x - door[0], door[1] - x)
    const blockGap = Math.min(0.2, ...others.map((b) => Math.abs(b - x)))
    const score = Math.min(doorGap - 0.07, blockGap - 0.065)
    if (score > bestScore + 1e-9) {
      bestScore = score
      best = x
    }
  }
  return best
}

/** Carry the held block into the open part of the compartment with the fingers leaning in, set it down, back out. */
const placeInSliderPlan = (scene: SceneId): Array<Phase> => {
  const spot = (m: Memory): V3 => [m.spotX!, 0.088, 0.461 + 0.008 + GRASP_DZ]
  const back = (d: number): V3 => [0, -Math.sin(PLACE_TILT) * d, Math.cos(PLACE_TILT) * d]
  const hold = (m: Memory) => ({ yaw: m.yaw!, pitch: m.pitch!, grip: -1 as const, ...CARRY })
  return [
    {
      name: "up",
      enter: (o, m) => {
        // The hand must face the compartment with its long side along x: turn the held block by a quarter turn if
        // it was grasped along its length.
        m.yaw = NEUTRAL_YAW + wrapQuarter(o.euler[2] - NEUTRAL_YAW)
        // Keep a stronger lean the block was picked with (it then stays level), else lean a little.
        m.pitch = Math.abs(o.euler[1]) > PLACE_TILT ? o.euler[1] : -PLACE_TILT * Math.sign(Math.sin(m.yaw))
        m.spotX = compartmentSpot(scene, o, heldBlock(o))
        remember(m, "start", o.tcp)
      },
      target: (o, m) => ({ pos: [o.tcp[0], o.tcp[1], Math.max(recall(m, "start")[2], 0.55)], yaw: m.yaw!, grip: -1, ...CARRY }),
      until: (o, m, steps, t) => settled(o, m, t, 0.015) || steps >= 40
    },
    // Line up in front of the cabinet first so the carried block never sweeps across the door.
    moveTo("front", (_o, m) => ({ pos: [m.spotX!, -0.09, 0.6], ...hold(m) }), 0.015, 100),
    moveTo("entry", (_o, m) => ({ pos: add(spot(m), back(0.1)), ...hold(m) }), 0.01, 80),
    moveTo("in", (_o, m) => ({ pos: spot(m), ...hold(m), speed: 0.4 }), 0.006, 60),
    {
      name: "release",
      enter: (o, m) => remember(m, "release", o.tcp),
      target: (_o, m) => ({ pos: recall(m, "release"), yaw: m.yaw!, pitch: m.pitch!, grip: 1 }),
      until: (_o, _m, steps) => steps >= 8
    },
    moveTo("out", (_o, m) => ({ pos: add(recall(m, "release"), back(0.12)), yaw: m.yaw!, pitch: m.pitch!, grip: 1, gain: 0.5 }), 0.012, 60),
    idle()
  ]
}

const stackPlan = (): Array<Phase> => {
  const target = (o: Obs, m: Memory): V3 => {
    const bottom = (["red", "blue", "pink"] as const)[m.bottom!]!
    const p = blockPos(o, bottom)
    return [p[0], p[1], p[2] + 0.04 + 0.004]
  }
  return [
    {
      name: "choose",
      enter: (o, m) => {
        const held = heldBlock(o)
        // The other block resting on the desk (z ≈ 0.46) nearest to the TCP.
        let best = -1
        let bestD = Infinity
        ;(["red", "blue", "pink"] as const).forEach((c, i) => {
          if (c === held) return
          const p = blockPos(o, c)
          if (Math.abs(p[2] - 0.46) > 0.01 || p[1] > 0.02) return
          const d = Math.hypot(p[0] - o.tcp[0], p[1] - o.tcp[1])
          if (d < bestD) {
            bestD = d
            best = i
          }
        })
        m.bottom = best < 0 ? 0 : best
      },
      target: (o) => ({ pos: o.tcp, yaw: o.euler[2], grip: -1 }),
      until: () => true
    },
    ...carryAndRelease(target, 0.58),
    moveTo("away", (o) => ({ pos: [o.tcp[0], o.tcp[1], 0.6], yaw: o.euler[2], grip: 1 }), 0.01, 40),
    idle()
  ]
}

const unstackPlan = (scene: SceneId): Array<Phase> => {
  let top: BlockColor = "red"
  const topOf = (o: Obs): BlockColor => {
    let best: BlockColor = "red"
    for (const c of ["red", "blue", "pink"] as const) if (blockPos(o, c)[2] > blockPos(o, best)[2]) best = c
    return best
  }
  return [
    {
      name: "find",
      enter: (o) => {
        top = topOf(o)
      },
      target: (o) => ({ pos: o.tcp, yaw: o.euler[2], grip: 1 }),
      until: () => true
    },
    ...pickPhasesDynamic(scene, () => top, 0.08),
    idle(-1)
  ]
}

/** `pickPhases` for a block chosen at run time. */
const pickPhasesDynamic = (scene: SceneId, color: () => BlockColor, lift: number): Array<Phase> => {
  const phases = ["red", "blue", "pink"].map((c) => pickPhases(scene, c as BlockColor, lift))
  return phases[0]!.map((phase, i) => ({
    name: phase.name,
    enter: (o: Obs, m: Memory) => phases[BLOCK_INDEX[color()]]![i]!.enter?.(o, m),
    target: (o: Obs, m: Memory) => phases[BLOCK_INDEX[color()]]![i]!.target(o, m),
    until: (o: Obs, m: Memory, steps: number, t: Target) => phases[BLOCK_INDEX[color()]]![i]!.until(o, m, steps, t)
  }))
}

/** Push a table block off the desk's front edge into the open drawer. */
const pushIntoDrawerPlan = (scene: SceneId): Array<Phase> => {
  let color: BlockColor = "red"
  const behind = (o: Obs): V3 => {
    const p = blockPos(o, color)
    const e = halfExtent(scene, color, blockYaw(o, color))
    return [p[0], p[1] + e.y + FINGER_HALF + 0.015, p[2] + 0.01]
  }
  return [
    {
      name: "choose",
      enter: (o) => {
        // The block on the desk top (not in the cabinet, not in the drawer).
        const onDesk = (["red", "blue", "pink"] as const).filter((c) => {
          const p = blockPos(o, c)
          return p[1] < 0.02 && p[1] > -0.18 && Math.abs(p[2] - 0.46) < 0.015
        })
        color = onDesk[0] ?? "red"
      },
      target: (o) => ({ pos: o.tcp, yaw: NEUTRAL_YAW, grip: -1 }),
      until: (_o, _m, steps) => steps >= 4
    },
    // Fingers lean a little toward +y so the hand rides on the robot side, clear of the door handle.
    moveTo("behind-above", (o) => ({ pos: add(behind(o), [0, 0, HOVER]), yaw: NEUTRAL_YAW, pitch: -PLACE_TILT, grip: -1 }), 0.015, 90),
    {
      name: "behind",
      target: (o) => ({ pos: behind(o), yaw: NEUTRAL_YAW, pitch: -PLACE_TILT, grip: -1, gain: 0.7, speed: 0.6, guard: 0.008 }),
      until: (o, m, steps, t) => {
        const done = near(o, t, 0.008) || steps >= 50
        if (done) remember(m, "push", t.pos)
        return done
      }
    },
    moveTo("push", (_o, m) => {
      const p = recall(m, "push")
      return { pos: [p[0], -0.27, p[2]], yaw: NEUTRAL_YAW, pitch: -PLACE_TILT, grip: -1, gain: 0.5, speed: 0.5 }
    }, 0.01, 90),
    moveTo("up", (o) => ({ pos: [o.tcp[0], o.tcp[1], 0.56], yaw: NEUTRAL_YAW, grip: -1 }), 0.01, 40),
    idle(-1)
  ]
}

const planFor = (task: TaskName, scene: SceneId): Array<Phase> => {
  const color = blockOfTask(task)
  if (color !== undefined) {
    if (task.startsWith("rotate_")) return rotatePlan(scene, color, task.endsWith("_left") ? "left" : "right")
    if (task.startsWith("push_")) return pushPlan(scene, color, task.endsWith("_left") ? "left" : "right")
    return liftPlan(scene, color, task.endsWith("_table") ? "table" : task.endsWith("_slider") ? "slider" : "drawer")
  }
  switch (task) {
    case "move_slider_left":
      return sliderPlan(scene, "left")
    case "move_slider_right":
      return sliderPlan(scene, "right")
    case "open_drawer":
      return drawerPlan(scene, true)
    case "close_drawer":
      return drawerPlan(scene, false)
    case "turn_on_led":
    case "turn_off_led":
      return buttonPlan(scene)
    case "turn_on_lightbulb":
      return switchPlan(scene, true)
    case "turn_off_lightbulb":
      return switchPlan(scene, false)
    case "place_in_drawer":
      return placeInDrawerPlan(scene)
    case "place_in_slider":
      return placeInSliderPlan(scene)
    case "stack_block":
      return stackPlan()
    case "unstack_block":
      return unstackPlan(scene)
    case "push_into_drawer":
      return pushIntoDrawerPlan(scene)
    default:
      return [idle()]
  }
}

/**
 * A scripted expert for `task` in `scene`. Stateful (its phase and memory); `reset()` restarts it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeExpert = (task: TaskName, scene: SceneId = "D"): Expert => {
  // Keep the gripper as it is while clearing (a held block stays held for place/stack tasks).
  const plan = [...clearPhases((o) => o.gripper), ...planFor(task, scene)]
  let index = 0
  let steps = 0
  let entered = false
  let memory: Memory = {}
  const reset = (): void => {
    command = undefined
    previous = undefined
    elapsed = 0
    stalled.fill(0)
    index = 0
    steps = 0
    entered = false
    memory = {}
  }
  const act = (robotObs: ReadonlyArray<number>, sceneObs: ReadonlyArray<number>): Action7 => {
    const o: Obs = {
      tcp: [robotObs[0]!, robotObs[1]!, robotObs[2]!],
      euler: [robotObs[3]!, robotObs[4]!, robotObs[5]!],
      width: robotObs[6]!,
      gripper: robotObs[14]! > 0 ? 1 : -1,
      scene: sceneObs
    }
    // Advance through finished phases (at most the whole plan once per step).
    for (let guard = 0; guard < plan.length; guard++) {
      const phase = plan[index]!
      if (!entered) {
        if (index < plan.length - 1 && phase.skip?.(o, memory)) {
          index++
          continue
        }
        phase.enter?.(o, memory)
        entered = true
        steps = 0
      }
      const t = phase.target(o, memory)
      if (index < plan.length - 1 && phase.until(o, memory, steps, t)) {
        index++
        entered = false
        continue
      }
      steps++
      return limitWindup(o, actionToward(o, t))
    }
    return limitWindup(o, actionToward(o, plan[index]!.target(o, memory)))
  }
  /**
   * The env integrates relative actions into a target pose it never re-reads from the robot, so pushing against
   * an obstacle winds the target far away and the arm lunges once free. Track that target (from the first
   * observation plus our own actions) and stop adding to an axis once it leads the measured pose by too much.
   */
  let command: Array<number> | undefined
  let previous: Array<number> | undefined
  const stalled = [0, 0, 0, 0, 0, 0]
  /** Steps since reset: only early on can our estimate be off because of the previous subtask. */
  let elapsed = 0
  const limitWindup = (o: Obs, a: Action7): Action7 => {
    const measured = [...o.tcp, ...o.euler]
    if (command === undefined) command = measured
    const out = [...a] as [number, number, number, number, number, number, number]
    for (let i = 0; i < 6; i++) {
      const unit = i < 3 ? POS_SCALE : ORN_SCALE
      const limit = i < 3 ? WINDUP_POS : WINDUP_ORN
      const lead = (x: number): number => (i < 3 ? x - measured[i]! : wrap(x - measured[i]!))
      // Re-anchor a lead that is already beyond the limit (e.g. after a collision): treat the measured pose as truth.
      if (Math.abs(lead(command[i]!)) > 2 * limit) command[i] = measured[i]! + Math.sign(lead(command[i]!)) * limit
      // The estimate starts at the first observation, but a previous subtask may have left the env's target
      // elsewhere. If we hold at the limit and the arm does not move, the estimate is off: re-anchor it.
      const moved = previous === undefined ? Infinity : Math.abs(measured[i]! - previous[i]!)
      stalled[i] = Math.abs(lead(command[i]!)) > 0.9 * limit && moved < (i < 3 ? 0.001 : 0.005) ? stalled[i]! + 1 : 0
      if (stalled[i]! >= 6 && elapsed < 40) {
        command[i] = measured[i]!
        stalled[i] = 0
      }
      // Let the estimate leak slowly toward the measured pose, so an error in it (from an unknown start) fades.
      command[i] = command[i]! + WINDUP_LEAK * (i < 3 ? measured[i]! - command[i]! : wrap(measured[i]! - command[i]!))
      const next = command[i]! + out[i]! * unit
      const l = lead(next)
      if (Math.abs(l) > limit && Math.sign(l) === Math.sign(out[i]!)) {
        const allowed = Math.sign(l) * limit - lead(command[i]!)
        out[i] = Math.sign(out[i]!) * Math.max(0, Math.min(Math.abs(out[i]!), (Math.sign(l) * allowed) / unit))
      }
      command[i] = command[i]! + out[i]! * unit
    }
    previous = measured
    elapsed++
    return out
  }
  return { task, reset, act, phase: () => plan[index]!.name }
}
