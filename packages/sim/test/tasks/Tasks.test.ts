import { describe, expect, it } from "vitest"
import type { BlockColor, BlockInfo, ContactPair, SimInfo } from "../../src/SimInfo.ts"
import {
  categoryOf,
  checkTask,
  completedTasks,
  relativeRotationDegrees,
  TASK_CATEGORIES,
  TASK_NAMES,
  taskId,
  type TaskName
} from "../../src/tasks/Tasks.ts"

type Quat = readonly [number, number, number, number]
const yawQuat = (deg: number): Quat => {
  const h = (deg * Math.PI) / 360
  return [Math.cos(h), 0, 0, Math.sin(h)]
}
const rollQuat = (deg: number): Quat => {
  const h = (deg * Math.PI) / 360
  return [Math.cos(h), Math.sin(h), 0, 0]
}
const mulQuat = (a: Quat, b: Quat): Quat => [
  a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
  a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
  a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
  a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]
]

const DESK: ContactPair = { body: "table", link: "base_link" }
const PLANK: ContactPair = { body: "table", link: "plank_link" }
const DRAWER: ContactPair = { body: "table", link: "drawer_link" }
const ROBOT: ContactPair = { body: "robot", link: "base" }
const block = (color: BlockColor): ContactPair => ({ body: `block_${color}`, link: "base" })

interface BlockSpec {
  readonly position?: readonly [number, number, number]
  readonly quaternion?: Quat
  readonly contacts?: ReadonlyArray<ContactPair>
  readonly velocity?: readonly [number, number, number]
}
interface InfoSpec {
  readonly red?: BlockSpec
  readonly blue?: BlockSpec
  readonly pink?: BlockSpec
  readonly robotContacts?: ReadonlyArray<ContactPair>
  readonly doors?: Partial<SimInfo["doors"]>
  readonly lights?: Partial<SimInfo["lights"]>
}
const DEFAULT_POS: Record<BlockColor, readonly [number, number, number]> = {
  red: [0.05, -0.12, 0.46],
  blue: [0.23, -0.12, 0.46],
  pink: [-0.24, 0.09, 0.46]
}
const makeBlock = (color: BlockColor, spec: BlockSpec | undefined): BlockInfo => ({
  position: spec?.position ?? DEFAULT_POS[color],
  quaternion: spec?.quaternion ?? yawQuat(90),
  linearVelocity: spec?.velocity ?? [0, 0, 0],
  angularVelocity: spec?.velocity ?? [0, 0, 0],
  contacts: spec?.contacts ?? (color === "pink" ? [PLANK] : [DESK])
})
const info = (spec: InfoSpec = {}): SimInfo => ({
  robotObs: new Array(15).fill(0),
  sceneObs: new Array(24).fill(0),
  robotContacts: spec.robotContacts ?? [],
  blocks: { red: makeBlock("red", spec.red), blue: makeBlock("blue", spec.blue), pink: makeBlock("pink", spec.pink) },
  doors: { slider: 0, drawer: 0, button: 0, switch: 0, ...spec.doors },
  lights: { led: 0, lightbulb: 0, ...spec.lights }
})

/** One success and one failure (start, end) pair per task. */
const cases: Record<TaskName, { ok: [SimInfo, SimInfo]; fail: [SimInfo, SimInfo] }> = {} as never
const rotateCase = (color: BlockColor, dir: "left" | "right") => {
  const sign = dir === "left" ? 1 : -1
  const q0 = yawQuat(80)
  return {
    ok: [
      info({ [color]: { quaternion: q0 } }),
      info({ [color]: { quaternion: mulQuat(yawQuat(sign * 75), q0), contacts: [DESK, ROBOT] } })
    ],
    // rotated enough but tilted 35° about x: fails |x| < 30
    fail: [
      info({ [color]: { quaternion: q0 } }),
      info({ [color]: { quaternion: mulQuat(rollQuat(35), mulQuat(yawQuat(sign * 75), q0)) } })
    ]
  } as { ok: [SimInfo, SimInfo]; fail: [SimInfo, SimInfo] }
}
const pushCase = (color: BlockColor, dir: "left" | "right") => {
  const p = DEFAULT_POS[color]
  const dx = dir === "right" ? 0.12 : -0.12
  return {
    ok: [info(), info({ [color]: { position: [p[0] + dx, p[1], p[2]], contacts: [color === "pink" ? PLANK : DESK, ROBOT] } })],
    // moved far enough, but the wrong way
    fail: [info(), info({ [color]: { position: [p[0] - dx, p[1], p[2]] } })]
  } as { ok: [SimInfo, SimInfo]; fail: [SimInfo, SimInfo] }
}
const liftCase = (color: BlockColor, surface: "table" | "slider" | "drawer") => {
  const link = surface === "table" ? DESK : surface === "slider" ? PLANK : DRAWER
  const dz = surface === "slider" ? 0.035 : 0.06
  const p = DEFAULT_POS[color]
  const up: [number, number, number] = [p[0], p[1], p[2] + dz]
  return {
    ok: [info({ [color]: { contacts: [link, ROBOT] } }), info({ [color]: { position: up, contacts: [ROBOT] } })],
    // lifted from the wrong surface
    fail: [
      info({ [color]: { contacts: [surface === "table" ? PLANK : DESK] } }),
      info({ [color]: { position: up, contacts: [ROBOT] } })
    ]
  } as { ok: [SimInfo, SimInfo]; fail: [SimInfo, SimInfo] }
}
for (const color of ["red", "blue", "pink"] as const) {
  for (const dir of ["right", "left"] as const) {
    cases[`rotate_${color}_block_${dir}`] = rotateCase(color, dir)
    cases[`push_${color}_block_${dir}`] = pushCase(color, dir)
  }
  for (const surface of ["table", "slider", "drawer"] as const) cases[`lift_${color}_block_${surface}`] = liftCase(color, surface)
}
cases.move_slider_left = { ok: [info(), info({ doors: { slider: 0.2 } })], fail: [info(), info({ doors: { slider: 0.14 } })] }
cases.move_slider_right = {
  ok: [info({ doors: { slider: 0.28 } }), info({ doors: { slider: 0.1 } })],
  fail: [info({ doors: { slider: 0.28 } }), info({ doors: { slider: 0.2 } })]
}
cases.open_drawer = { ok: [info(), info({ doors: { drawer: 0.13 } })], fail: [info(), info({ doors: { drawer: 0.11 } })] }
cases.close_drawer = {
  ok: [info({ doors: { drawer: 0.22 } }), info({ doors: { drawer: 0.05 } })],
  fail: [info({ doors: { drawer: 0.22 } }), info({ doors: { drawer: 0.15 } })]
}
const held = { contacts: [ROBOT], position: [0.1, -0.1, 0.6] as const }
cases.place_in_slider = {
  ok: [info({ robotContacts: [block("red")], red: held }), info({ red: { contacts: [PLANK] } })],
  // the robot still touches the block at the end
  fail: [
    info({ robotContacts: [block("red")], red: held }),
    info({ robotContacts: [block("red")], red: { contacts: [PLANK, ROBOT] } })
  ]
}
cases.place_in_drawer = {
  ok: [info({ robotContacts: [block("blue")], blue: held }), info({ blue: { contacts: [DRAWER] } })],
  // the robot held two things at the start
  fail: [
    info({ robotContacts: [block("blue"), DESK], blue: held }),
    info({ blue: { contacts: [DRAWER] } })
  ]
}
cases.stack_block = {
  ok: [
    info({ robotContacts: [block("red")], red: held }),
    info({ red: { contacts: [block("blue")] }, blue: { contacts: [DESK, block("red")] } })
  ],
  // still held by the robot at the end
  fail: [
    info({ robotContacts: [block("red")], red: held }),
    info({ red: { contacts: [block("blue"), ROBOT] }, blue: { contacts: [DESK, block("red")] } })
  ]
}
cases.unstack_block = {
  ok: [
    info({ red: { contacts: [block("blue")] }, blue: { contacts: [DESK, block("red")] } }),
    info({ red: { contacts: [ROBOT] } })
  ],
  // the top block moves fast at the start (falling)
  fail: [
    info({ red: { contacts: [block("blue")], velocity: [0, 0, -1.5] }, blue: { contacts: [DESK, block("red")] } }),
    info({ red: { contacts: [ROBOT] } })
  ]
}
cases.turn_on_lightbulb = { ok: [info(), info({ lights: { lightbulb: 1 } })], fail: [info({ lights: { lightbulb: 1 } }), info({ lights: { lightbulb: 1 } })] }
cases.turn_off_lightbulb = { ok: [info({ lights: { lightbulb: 1 } }), info()], fail: [info(), info()] }
cases.turn_on_led = { ok: [info(), info({ lights: { led: 1 } })], fail: [info(), info({ lights: { lightbulb: 1 } })] }
cases.turn_off_led = { ok: [info({ lights: { led: 1 } }), info()], fail: [info({ lights: { led: 1 } }), info({ lights: { led: 1 } })] }
cases.push_into_drawer = {
  ok: [info(), info({ red: { contacts: [DRAWER, ROBOT] } })],
  // the block also touched the robot at the start: start pair set is not exactly {desk}
  fail: [info({ red: { contacts: [DESK, ROBOT] } }), info({ red: { contacts: [DRAWER] } })]
}

describe("task names and categories", () => {
  it("has 34 tasks in yaml order", () => {
    expect(TASK_NAMES).toHaveLength(34)
    expect(taskId("rotate_red_block_right")).toBe(0)
    expect(taskId("push_into_drawer")).toBe(33)
    expect(taskId("stack_block")).toBe(27)
  })
  it("assigns the 11 categories with CALVIN's sizes", () => {
    const sizes = TASK_CATEGORIES.map((c) => TASK_NAMES.filter((t) => categoryOf(t) === c).length)
    expect(sizes).toEqual([12, 2, 2, 3, 3, 3, 2, 4, 1, 1, 1])
  })
})

describe("relativeRotationDegrees", () => {
  it("returns the yaw difference as extrinsic z", () => {
    const [x, y, z] = relativeRotationDegrees(yawQuat(90), yawQuat(160))
    expect(x).toBeCloseTo(0, 9)
    expect(y).toBeCloseTo(0, 9)
    expect(z).toBeCloseTo(70, 9)
  })
  it("wraps across ±180", () => {
    expect(relativeRotationDegrees(yawQuat(150), yawQuat(-150))[2]).toBeCloseTo(60, 9)
  })
})

describe("checkTask", () => {
  for (const task of TASK_NAMES) {
    it(`${task}: success and failure`, () => {
      const c = cases[task]
      expect(checkTask(task, c.ok[0], c.ok[1])).toBe(true)
      expect(checkTask(task, c.fail[0], c.fail[1])).toBe(false)
    })
  }
  it("nothing succeeds when nothing changes", () => {
    const s = info({ lights: { led: 1 }, doors: { drawer: 0.22 } })
    expect(completedTasks(s, s)).toEqual([])
  })
  it("rotate needs the block to rest on something other than the robot", () => {
    const q0 = yawQuat(80)
    expect(
      checkTask("rotate_red_block_left", info({ red: { quaternion: q0 } }), info({ red: { quaternion: mulQuat(yawQuat(75), q0), contacts: [ROBOT] } }))
    ).toBe(false)
  })
  it("push fails when the block leaves its start surface", () => {
    const p = DEFAULT_POS.red
    expect(checkTask("push_red_block_right", info(), info({ red: { position: [p[0] + 0.2, p[1], p[2]], contacts: [DRAWER] } }))).toBe(false)
  })
  it("lift fails when the block still touches the table", () => {
    const p = DEFAULT_POS.red
    expect(
      checkTask("lift_red_block_table", info(), info({ red: { position: [p[0], p[1], p[2] + 0.1], contacts: [ROBOT, DESK] } }))
    ).toBe(false)
  })
})
