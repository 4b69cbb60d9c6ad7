/**
 * Generates the MJCF of one CALVIN scene (table, articulated parts, lights, blocks, robot) from `SceneLayout`.
 *
 * Everything is built from primitives plus a few convex prisms (the cabinet's slanted solids). Geom names are
 * `<body>/<link>/<part>`, e.g. `table/drawer_link/floor`, so the contact code can map each geom to a
 * (ContactBody, ContactLink) pair of SimInfo.ts without a side table.
 *
 * Collision bits: blocks 1, table 2, robot 4, floor 8. Table parts never collide with each other (joint limits
 * bound them), the robot never collides with itself or the floor. No geom has a contact margin: MuJoCo's box-box
 * collider then reports resting contacts at distance ≈ 0 (soft contacts keep a resting block slightly inside its
 * support), so the touching rule of SimInfo.ts sees supports and grasps on every step; a margin made boxes hover.
 *
 * @since 0.1.0
 */
import { eulerToQuat, quatToMat } from "../robot/PandaKinematics.ts"
import { pandaXml } from "../robot/PandaXml.ts"
import {
  BLOCK_MASS,
  BLOCK_RGB,
  BLOCK_SECTION,
  BULB,
  BUTTON,
  BUTTON_RGB,
  BUTTON_TRAVEL,
  blockSlots,
  CABINET,
  DESK,
  DOOR,
  DRAWER,
  DRAWER_TRAVEL,
  HANDLE_RGB,
  LED,
  LIGHT_OFF_RGB,
  PLANK,
  type Rgb,
  type SceneId,
  SCENES,
  slantFaceY,
  SLANT_ANCHOR,
  SWITCH,
  SWITCH_RGB,
  SWITCH_TRAVEL,
  type Vec3
} from "./SceneLayout.ts"

const f = (x: number): string => (Math.abs(x) < 1e-12 ? "0" : Number(x.toFixed(6)).toString())
const v = (xs: ReadonlyArray<number>): string => xs.map(f).join(" ")
const rgba = (c: Rgb, a = 1): string => v([...c, a])

/** An axis-aligned box given by its world min/max corners. */
interface Aabb {
  readonly min: Vec3
  readonly max: Vec3
}
const aabb = (x0: number, x1: number, y0: number, y1: number, z0: number, z1: number): Aabb => ({ min: [x0, y0, z0], max: [x1, y1, z1] })

/** A rigid frame (position + row-major rotation) that world-specified geoms are expressed in. */
interface Frame {
  readonly pos: Vec3
  readonly quat: readonly [number, number, number, number]
}
const WORLD: Frame = { pos: [0, 0, 0], quat: [1, 0, 0, 0] }

/** A world-axis-aligned box as a `<geom>` inside a body at `frame` (the frame at joint value 0). */
const boxGeom = (name: string, b: Aabb, color: Rgb, frame: Frame = WORLD, extra = ""): string => {
  const c: Vec3 = [(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2]
  const h: Vec3 = [(b.max[0] - b.min[0]) / 2, (b.max[1] - b.min[1]) / 2, (b.max[2] - b.min[2]) / 2]
  const { pos, quat } = toLocal(frame, c)
  return `<geom name="${name}" type="box" pos="${v(pos)}" quat="${v(quat)}" size="${v(h)}" rgba="${rgba(color)}"${extra}/>`
}

/** World point and world orientation → the body-local pos/quat. */
const toLocal = (frame: Frame, world: Vec3): { pos: Vec3; quat: readonly [number, number, number, number] } => {
  const R = new Float64Array(9)
  quatToMat(frame.quat, R)
  const d = [world[0] - frame.pos[0], world[1] - frame.pos[1], world[2] - frame.pos[2]]
  const pos: Vec3 = [
    R[0]! * d[0]! + R[3]! * d[1]! + R[6]! * d[2]!,
    R[1]! * d[0]! + R[4]! * d[1]! + R[7]! * d[2]!,
    R[2]! * d[0]! + R[5]! * d[1]! + R[8]! * d[2]!
  ]
  const q = frame.quat
  return { pos, quat: [q[0], -q[1], -q[2], -q[3]] }
}

/** A prism along x with a (y, z) profile: a convex mesh asset plus its geom. */
const prism = (name: string, x0: number, x1: number, profile: ReadonlyArray<readonly [number, number]>): { asset: string; geom: (color: Rgb) => string } => {
  const verts: Array<number> = []
  for (const x of [x0, x1]) for (const [y, z] of profile) verts.push(x, y, z)
  const mesh = name.replace(/\//g, "_")
  return {
    asset: `<mesh name="${mesh}" vertex="${v(verts)}"/>`,
    geom: (color) => `<geom name="${name}" type="mesh" mesh="${mesh}" rgba="${rgba(color)}"/>`
  }
}

/** The 60° frame whose local y runs up the slanted face and local z points out of it. */
const slantQuat = eulerToQuat(Math.PI / 3, 0, 0)

/**
 * Full MJCF of a scene.
 *
 * @since 0.1.0
 * @category mjcf
 */
export const sceneXml = (scene: SceneId): string => {
  const s = SCENES[scene]
  const body = s.bodyRgb
  const wood = s.drawerRgb
  const assets: Array<string> = []
  const statics: Array<string> = []
  const T = (link: string, part: string): string => `table/${link}/${part}`

  // Desk slab, apron, legs
  statics.push(boxGeom(T("base_link", "desk"), aabb(DESK.xMin, DESK.xMax, DESK.yMin, PLANK.yMin, DESK.zMin, DESK.zMax), body))
  statics.push(boxGeom(T("base_link", "desk_back"), aabb(DESK.xMin, DESK.xMax, PLANK.yMax, CABINET.yBack, DESK.zMin, DESK.zMax), body))
  statics.push(boxGeom(T("base_link", "under_plank"), aabb(DESK.xMin, DESK.xMax, PLANK.yMin, PLANK.yMax, DESK.zMin, PLANK.zMin), body))
  const dx0 = s.drawerX - DRAWER.halfWidth - 0.005
  const dx1 = s.drawerX + DRAWER.halfWidth + 0.005
  if (dx0 > DESK.xMin + 0.01) statics.push(boxGeom(T("base_link", "apron_left"), aabb(DESK.xMin + 0.01, dx0, -0.16, 0.17, 0.3, DESK.zMin), body))
  if (dx1 < DESK.xMax - 0.01) statics.push(boxGeom(T("base_link", "apron_right"), aabb(dx1, DESK.xMax - 0.01, -0.16, 0.17, 0.3, DESK.zMin), body))
  statics.push(boxGeom(T("base_link", "apron_back"), aabb(dx0, dx1, 0.07, 0.17, 0.3, DESK.zMin), body))
  for (const [lx, ly] of [[-1, -1], [1, -1], [-1, 1], [1, 1]] as const) {
    const x0 = lx < 0 ? -0.44 : 0.4
    const y0 = ly < 0 ? -0.18 : 0.148
    statics.push(boxGeom(T("base_link", `leg_${lx}_${ly}`), aabb(x0, x0 + 0.04, y0, y0 + 0.032, 0, 0.3), body))
  }

  // Cabinet: two slanted solids beside the compartment, the compartment ceiling, its back wall
  const face = (z: number): readonly [number, number] => [slantFaceY(z), z]
  const solidProfile = [face(DESK.zMin), [CABINET.yBack, DESK.zMin], [CABINET.yBack, CABINET.zTop], face(CABINET.zTop)] as const
  const leftSolid = prism(T("base_link", "cabinet_left"), DESK.xMin, s.plankXMin, solidProfile)
  const rightSolid = prism(T("base_link", "cabinet_right"), s.plankXMax, DESK.xMax, solidProfile)
  const ceiling = prism(T("base_link", "cabinet_ceiling"), s.plankXMin, s.plankXMax, [
    face(CABINET.compartmentCeilingZ),
    [CABINET.yBack, CABINET.compartmentCeilingZ],
    [CABINET.yBack, CABINET.zTop],
    face(CABINET.zTop)
  ])
  for (const p of [leftSolid, rightSolid, ceiling]) {
    assets.push(p.asset)
    statics.push(p.geom(body))
  }
  statics.push(boxGeom(T("base_link", "cabinet_back"), aabb(s.plankXMin, s.plankXMax, CABINET.compartmentBackY, CABINET.yBack, DESK.zMax, CABINET.compartmentCeilingZ), body))
  // Plank (compartment floor)
  statics.push(boxGeom(T("plank_link", "plank"), aabb(s.plankXMin, s.plankXMax, PLANK.yMin, PLANK.yMax, PLANK.zMin, PLANK.zTop), wood))

  // Button housing (square ring)
  const bx = s.buttonX
  const hh = BUTTON.housingHalf
  const hi = BUTTON.radius + 0.003
  const hz0 = DESK.zMax
  const hz1 = BUTTON.housingTopZ
  statics.push(boxGeom(T("base_link", "housing_front"), aabb(bx - hh, bx + hh, BUTTON.y - hh, BUTTON.y - hi, hz0, hz1), HANDLE_RGB))
  statics.push(boxGeom(T("base_link", "housing_back"), aabb(bx - hh, bx + hh, BUTTON.y + hi, BUTTON.y + hh, hz0, hz1), HANDLE_RGB))
  statics.push(boxGeom(T("base_link", "housing_left"), aabb(bx - hh, bx - hi, BUTTON.y - hi, BUTTON.y + hi, hz0, hz1), HANDLE_RGB))
  statics.push(boxGeom(T("base_link", "housing_right"), aabb(bx + hi, bx + hh, BUTTON.y - hi, BUTTON.y + hi, hz0, hz1), HANDLE_RGB))

  // LED and bulb (fixed; their colour shows the logical light state)
  statics.push(
    boxGeom(T("base_link", "led"), aabb(bx - LED.halfX, bx + LED.halfX, LED.y - LED.halfY, LED.y + LED.halfY, LED.z - LED.halfZ, LED.z + LED.halfZ), LIGHT_OFF_RGB)
  )
  statics.push(`<geom name="${T("base_link", "bulb")}" type="sphere" pos="${v([s.switchX, s.bulbY, BULB.z])}" size="${f(BULB.radius)}" rgba="${rgba(LIGHT_OFF_RGB)}"/>`)

  // Button: presses −z by up to 0.02; a spring pushes it back up (≈ 4 N near full press).
  const buttonBody = `<body name="button" pos="${v([bx, BUTTON.y, BUTTON.jointZ])}" gravcomp="1">
      <joint name="button" type="slide" axis="0 0 -1" range="0 ${f(BUTTON_TRAVEL)}" stiffness="300" springref="0" damping="3"/>
      <inertial pos="0 0 0.0135" mass="0.154" diaginertia="0.0001 0.0001 0.0001"/>
      <geom name="${T("button_link", "cap")}" type="cylinder" pos="0 0 ${f(BUTTON.halfHeight)}" size="${f(BUTTON.radius)} ${f(BUTTON.halfHeight)}" rgba="${rgba(BUTTON_RGB)}"/>
    </body>`

  // Switch: a lever sliding up the slanted face. Gravity is compensated (gravcomp) so that friction alone keeps it
  // where it is left: MuJoCo's soft friction loss otherwise lets it creep down the slope (~0.1 m in 30 s).
  const switchBody = `<body name="switch" pos="${v([s.switchX, SWITCH.jointY, SWITCH.jointZ])}" quat="${v(slantQuat)}" gravcomp="1">
      <joint name="switch" type="slide" axis="0 1 0" range="0 ${f(SWITCH_TRAVEL)}" frictionloss="4" damping="2" armature="0.05"/>
      <inertial pos="0 0 ${f(SWITCH.leverOut)}" mass="0.239" diaginertia="0.0003 0.0003 0.0003"/>
      <geom name="${T("switch_link", "lever")}" type="box" pos="0 0 ${f(SWITCH.leverOut)}" size="${v([SWITCH.halfWidth, SWITCH.halfAlong, SWITCH.halfOut])}" rgba="${rgba(SWITCH_RGB)}"/>
    </body>`

  // Sliding door: a panel on the slanted face moving −x; a vertical grey bar handle on two standoffs.
  const doorFrame: Frame = { pos: [s.doorX0, SLANT_ANCHOR.y, SLANT_ANCHOR.z], quat: slantQuat }
  const hx = s.doorX0 + DOOR.handleDx
  const hxa = hx - DOOR.handleHalfX
  const hxb = hx + DOOR.handleHalfX
  const hy0 = DOOR.handleY - DOOR.handleHalfY
  const hy1 = DOOR.handleY + DOOR.handleHalfY
  const doorBody = `<body name="slide" pos="${v(doorFrame.pos)}" quat="${v(slantQuat)}">
      <joint name="slide" type="slide" axis="-1 0 0" range="0 ${f(s.doorTravel)}" frictionloss="4" damping="5" armature="0.2"/>
      <inertial pos="${f(DOOR.width / 2)} 0 0.01" mass="1.543" diaginertia="0.01 0.01 0.01"/>
      <geom name="${T("slide_link", "panel")}" type="box" pos="${f(DOOR.width / 2)} 0 ${f(DOOR.halfThick)}" size="${v([DOOR.width / 2, DOOR.halfAlong, DOOR.halfThick])}" rgba="${rgba(wood)}"/>
      ${boxGeom(T("slide_link", "handle"), aabb(hxa, hxb, hy0, hy1, DOOR.handleZMin, DOOR.handleZMax), HANDLE_RGB, doorFrame)}
      ${boxGeom(T("slide_link", "handle_low"), aabb(hxa, hxb, hy1, slantFaceY(DOOR.handleZMin + 0.015) + 0.005, DOOR.handleZMin, DOOR.handleZMin + 0.02), HANDLE_RGB, doorFrame)}
      ${boxGeom(T("slide_link", "handle_high"), aabb(hxa, hxb, hy1, slantFaceY(DOOR.handleZMax - 0.01) + 0.005, DOOR.handleZMax - 0.02, DOOR.handleZMax), HANDLE_RGB, doorFrame)}
    </body>`

  // Drawer: an open box under the desk sliding −y by up to 0.22, with a grey bar handle in front.
  const dcx = s.drawerX
  const drawerFrame: Frame = { pos: [dcx, 0, 0.32], quat: [1, 0, 0, 0] }
  const dw = DRAWER.halfWidth
  const D = (part: string, b: Aabb, c: Rgb = wood): string => boxGeom(T("drawer_link", part), b, c, drawerFrame)
  const drawerBody = `<body name="drawer" pos="${v(drawerFrame.pos)}">
      <joint name="drawer" type="slide" axis="0 -1 0" range="0 ${f(DRAWER_TRAVEL)}" frictionloss="4" damping="5" armature="0.2"/>
      <inertial pos="0 -0.06 0.03" mass="4.231" diaginertia="0.05 0.05 0.05"/>
      ${D("floor", aabb(dcx - dw, dcx + dw, DRAWER.yFront, DRAWER.yBack, DRAWER.zBottom, DRAWER.zFloor))}
      ${D("wall_left", aabb(dcx - dw, dcx - dw + DRAWER.wallX, DRAWER.yFront, DRAWER.yBack, DRAWER.zFloor, DRAWER.zRim))}
      ${D("wall_right", aabb(dcx + dw - DRAWER.wallX, dcx + dw, DRAWER.yFront, DRAWER.yBack, DRAWER.zFloor, DRAWER.zRim))}
      ${D("wall_front", aabb(dcx - dw + DRAWER.wallX, dcx + dw - DRAWER.wallX, DRAWER.yFront, DRAWER.yFront + DRAWER.wallY, DRAWER.zFloor, DRAWER.zRim))}
      ${D("wall_back", aabb(dcx - dw + DRAWER.wallX, dcx + dw - DRAWER.wallX, DRAWER.yBack - DRAWER.wallY, DRAWER.yBack, DRAWER.zFloor, DRAWER.zRim))}
      ${D("handle", aabb(dcx - DRAWER.handleHalfX, dcx + DRAWER.handleHalfX, DRAWER.handleY - DRAWER.handleHalfT, DRAWER.handleY + DRAWER.handleHalfT, DRAWER.handleZ - DRAWER.handleHalfT, DRAWER.handleZ + DRAWER.handleHalfT), HANDLE_RGB)}
      ${D("handle_l", aabb(dcx - DRAWER.handleHalfX, dcx - DRAWER.handleHalfX + 0.016, DRAWER.handleY + DRAWER.handleHalfT, DRAWER.yFront, DRAWER.handleZ - 0.008, DRAWER.handleZ + 0.008), HANDLE_RGB)}
      ${D("handle_r", aabb(dcx + DRAWER.handleHalfX - 0.016, dcx + DRAWER.handleHalfX, DRAWER.handleY + DRAWER.handleHalfT, DRAWER.yFront, DRAWER.handleZ - 0.008, DRAWER.handleZ + 0.008), HANDLE_RGB)}
    </body>`

  // Blocks at the default slots (red, blue on the table, pink in the compartment's open left half)
  const slots = blockSlots(scene)
  const blockPos: Record<"red" | "blue" | "pink", Vec3> = { red: slots.table0, blue: slots.table1, pink: slots.sliderLeft }
  const yawQuat = eulerToQuat(0, 0, Math.PI / 2)
  const blocks = (["red", "blue", "pink"] as const)
    .map(
      (c) => `<body name="block_${c}" pos="${v(blockPos[c])}" quat="${v(yawQuat)}">
      <freejoint name="block_${c}"/>
      <geom name="block_${c}/base/box" class="block" type="box" size="${v([s.blockLength[c] / 2, BLOCK_SECTION / 2, BLOCK_SECTION / 2])}" mass="${BLOCK_MASS}" rgba="${rgba(BLOCK_RGB[c])}"/>
    </body>`
    )
    .join("\n    ")

  const robot = pandaXml()
  return `<mujoco model="calvin_scene_${scene}">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="${1 / 240}" gravity="0 0 -9.8" integrator="implicitfast" cone="elliptic" impratio="5"/>
  <size memory="8M"/>
  <default>
    <geom contype="2" conaffinity="5" friction="0.5 0.005 0.0001" solref="0.01 1"/>
    <default class="robot">
      <geom contype="4" conaffinity="3"/>
    </default>
    <default class="block">
      <geom contype="1" conaffinity="15" friction="0.7 0.001 0.0001" condim="4"/>
    </default>
  </default>
  <asset>
    ${assets.join("\n    ")}
  </asset>
  <worldbody>
    <geom name="floor/base/plane" type="plane" size="3 3 0.1" rgba="0.62 0.62 0.64 1" contype="8" conaffinity="1"/>
    <geom name="pedestal/base/cylinder" type="cylinder" pos="-0.39 -0.46 0.12" size="0.13 0.12" rgba="0.95 0.95 0.95 1" contype="0" conaffinity="0"/>
    ${statics.join("\n    ")}
    ${buttonBody}
    ${switchBody}
    ${doorBody}
    ${drawerBody}
    ${blocks}
${robot.body}
  </worldbody>
  <equality>
    ${robot.equality}
  </equality>
  <actuator>
    ${robot.actuators}
  </actuator>
</mujoco>
`
}
