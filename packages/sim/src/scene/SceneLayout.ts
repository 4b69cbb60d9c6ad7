/**
 * Per-scene geometry of the CALVIN play table (scenes A–D), in world metres, from reference/calvin.md §1 and §6.3.
 *
 * One source of truth: the MJCF generator, the renderer colours and the scripted experts all read these
 * constants, so a handle the expert aims at is exactly where the physics put it.
 *
 * Frame: z up, the drawer opens toward −y (the robot side), the cabinet is at +y. The cabinet front leans back
 * 30° from vertical; `SLANT_UP` is its in-plane up direction and `SLANT_OUT` its outward normal.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 @category models */
export type SceneId = "A" | "B" | "C" | "D"

/** @since 0.1.0 @category constants */
export const SCENE_IDS: ReadonlyArray<SceneId> = ["A", "B", "C", "D"]

/** @since 0.1.0 @category models */
export type Vec3 = readonly [number, number, number]

/** @since 0.1.0 @category models */
export type Rgb = readonly [number, number, number]

/** Up along the slanted cabinet face (unit), the switch's travel direction. @since 0.1.0 @category constants */
export const SLANT_UP: Vec3 = [0, 0.5, Math.sqrt(3) / 2]
/** Outward normal of the slanted cabinet face (unit, toward the robot and up). @since 0.1.0 @category constants */
export const SLANT_OUT: Vec3 = [0, -Math.sqrt(3) / 2, 0.5]

/** Desk top height (m), the surface blocks rest on. @since 0.1.0 @category constants */
export const DESK_TOP_Z = 0.44
/** Desk slab: x ±0.44, y −0.18 (front edge) … +0.02, z 0.40 … 0.44. @since 0.1.0 @category constants */
export const DESK = { xMin: -0.44, xMax: 0.44, yMin: -0.18, yMax: 0.02, zMin: 0.4, zMax: 0.44 } as const
/** Cabinet shell: y 0.02 … 0.18 at its base, flat top at z 0.648. @since 0.1.0 @category constants */
export const CABINET = { yBack: 0.18, zTop: 0.648, compartmentCeilingZ: 0.63, compartmentBackY: 0.16 } as const
/**
 * A point on the slanted cabinet face (the plane the sliding door's back lies on), here the door joint frame's
 * (y, z). The face passes through it with direction `SLANT_UP`.
 *
 * @since 0.1.0
 * @category constants
 */
export const SLANT_ANCHOR = { y: 0.075, z: 0.535 } as const

/** y of the slanted cabinet face at height z. @since 0.1.0 @category geometry */
export const slantFaceY = (z: number): number => SLANT_ANCHOR.y + (z - SLANT_ANCHOR.z) * Math.tan(Math.PI / 6)

/** Joint ranges (m), effective (already ×0.8). The door's depends on the scene. @since 0.1.0 @category constants */
export const BUTTON_TRAVEL = 0.02
/** @since 0.1.0 @category constants */
export const SWITCH_TRAVEL = 0.088
/** @since 0.1.0 @category constants */
export const DRAWER_TRAVEL = 0.22
/** Button press threshold for the LED toggle (m). @since 0.1.0 @category constants */
export const BUTTON_THRESHOLD = 0.01
/** Switch threshold for the bulb (m). @since 0.1.0 @category constants */
export const SWITCH_THRESHOLD = 0.044

/** Button cap: radius, half height; the joint frame is at z 0.46 and the cap top at 0.487. @since 0.1.0 @category constants */
export const BUTTON = { y: -0.12, jointZ: 0.46, radius: 0.032, halfHeight: 0.0135, topZ: 0.487, housingHalf: 0.04, housingTopZ: 0.46 } as const
/** Switch lever: joint-frame (y, z), width 0.12 m, its centre sits `leverOut` outward of the joint frame. @since 0.1.0 @category constants */
export const SWITCH = { jointY: 0.061, jointZ: 0.495, halfWidth: 0.06, halfAlong: 0.018, halfOut: 0.028, leverOut: 0.03 } as const
/** Sliding door: 0.28 wide, 0.22 along the face, 0.02 thick; joint frame (x0, 0.075, 0.535). @since 0.1.0 @category constants */
export const DOOR = {
  width: 0.28,
  halfAlong: 0.11,
  halfThick: 0.01,
  /** Handle centre x relative to the door's left edge x0 (bar at x0+0.12 … x0+0.16 at q = 0). */
  handleDx: 0.14,
  /** World y of the vertical handle bar's centre and its z span. */
  handleY: -0.015,
  handleZMin: 0.5,
  handleZMax: 0.62,
  handleHalfX: 0.012,
  handleHalfY: 0.01
} as const
/** Drawer box (scene D at q = 0): 0.44 × 0.24 × 0.10, inner floor z 0.342, rim z 0.40. @since 0.1.0 @category constants */
export const DRAWER = {
  halfWidth: 0.22,
  yFront: -0.18,
  yBack: 0.06,
  zBottom: 0.3,
  zFloor: 0.342,
  zRim: 0.4,
  wallX: 0.04,
  wallY: 0.02,
  /** Handle: bar at y −0.245 (q = 0), x ±0.12 around the drawer centre, z 0.36. */
  handleY: -0.245,
  handleHalfX: 0.12,
  handleZ: 0.36,
  handleHalfT: 0.012
} as const
/** Plank (cabinet floor): y 0.016 … 0.164, top z 0.441 (slots rest 1 mm higher than the desk). @since 0.1.0 @category constants */
export const PLANK = { yMin: 0.016, yMax: 0.164, zMin: 0.416, zTop: 0.441 } as const
/** LED slab on the cabinet top: 0.16 × 0.04 × 0.016 at y 0.16. @since 0.1.0 @category constants */
export const LED = { y: 0.16, z: 0.656, halfX: 0.08, halfY: 0.02, halfZ: 0.008 } as const
/** Bulb: sphere ⌀ 5.6 cm on the cabinet top. @since 0.1.0 @category constants */
export const BULB = { z: 0.6725, radius: 0.028 } as const

/** Block cross-section (m) and mass; the length along the block's local x depends on the scene. @since 0.1.0 @category constants */
export const BLOCK_SECTION = 0.04
/** @since 0.1.0 @category constants */
export const BLOCK_MASS = 1
/** Block resting centre height on the desk. @since 0.1.0 @category constants */
export const BLOCK_REST_Z = 0.46

/** Light colours (§1.6). @since 0.1.0 @category constants */
export const LIGHT_OFF_RGB: Rgb = [1, 1, 1]
/** @since 0.1.0 @category constants */
export const LED_ON_RGB: Rgb = [0, 1, 0]
/** @since 0.1.0 @category constants */
export const BULB_ON_RGB: Rgb = [1, 1, 0]
/** Block colours red, blue, pink. @since 0.1.0 @category constants */
export const BLOCK_RGB: Readonly<Record<"red" | "blue" | "pink", Rgb>> = { red: [1, 0, 0], blue: [0, 0, 1], pink: [1, 0, 1] }
/** Handle grey (#656565), button black, switch grey 0.4. @since 0.1.0 @category constants */
export const HANDLE_RGB: Rgb = [0x65 / 255, 0x65 / 255, 0x65 / 255]
/** @since 0.1.0 @category constants */
export const BUTTON_RGB: Rgb = [0.02, 0.02, 0.02]
/** @since 0.1.0 @category constants */
export const SWITCH_RGB: Rgb = [0.4, 0.4, 0.4]

/** An axis-aligned spawn box (z fixed at `BLOCK_REST_Z`). @since 0.1.0 @category models */
export interface SpawnBox {
  readonly xMin: number
  readonly xMax: number
  readonly yMin: number
  readonly yMax: number
}

/** Everything that differs between scenes A–D (§1.4). @since 0.1.0 @category models */
export interface SceneLayout {
  readonly id: SceneId
  /** Button centre x (y = −0.12) and LED x. */
  readonly buttonX: number
  /** Switch centre x and bulb x. */
  readonly switchX: number
  /** Bulb centre y. */
  readonly bulbY: number
  /** Sliding door joint x0: the door spans x0 … x0 + 0.28 at q = 0 and moves −x as q grows. */
  readonly doorX0: number
  /** Sliding door travel (m). */
  readonly doorTravel: number
  /** Cabinet compartment (plank) x span. */
  readonly plankXMin: number
  readonly plankXMax: number
  /** Drawer centre x (the box spans ±0.22). */
  readonly drawerX: number
  /** Table-body colour and drawer/door colour (mean texture colour). */
  readonly bodyRgb: Rgb
  readonly drawerRgb: Rgb
  /** Block length along its local x (the cross-section is 0.04 × 0.04). */
  readonly blockLength: Readonly<Record<"red" | "blue" | "pink", number>>
  /** Random-reset spawn boxes. */
  readonly spawn: { readonly table: SpawnBox; readonly sliderLeft: SpawnBox; readonly sliderRight: SpawnBox }
}

const hex = (h: number): Rgb => [((h >> 16) & 255) / 255, ((h >> 8) & 255) / 255, (h & 255) / 255]
const tableBox = (xMin: number, xMax: number): SpawnBox => ({ xMin, xMax, yMin: -0.15, yMax: -0.03 })
const sliderBox = (xMin: number, xMax: number): SpawnBox => ({ xMin, xMax, yMin: 0.05, yMax: 0.12 })

/** The four scenes as tabulated in reference/calvin.md §1.4. @since 0.1.0 @category constants */
export const SCENES: Readonly<Record<SceneId, SceneLayout>> = {
  A: {
    id: "A",
    buttonX: -0.28,
    switchX: 0.3,
    bulbY: 0.132,
    doorX0: -0.1,
    doorTravel: 0.28,
    plankXMin: -0.364,
    plankXMax: 0.164,
    drawerX: 0.1,
    bodyRgb: hex(0x78452e),
    drawerRgb: hex(0x8a5e4a),
    blockLength: { red: 0.056, blue: 0.08, pink: 0.04 },
    spawn: { table: tableBox(-0.2, 0.35), sliderLeft: sliderBox(-0.32, -0.16), sliderRight: sliderBox(-0.05, 0.13) }
  },
  B: {
    id: "B",
    buttonX: 0.28,
    switchX: -0.32,
    bulbY: 0.136,
    doorX0: 0.088,
    doorTravel: 0.304,
    plankXMin: -0.184,
    plankXMax: 0.344,
    drawerX: 0.18,
    bodyRgb: hex(0xf3c38b),
    drawerRgb: hex(0xf3c48c),
    blockLength: { red: 0.04, blue: 0.08, pink: 0.056 },
    spawn: { table: tableBox(-0.35, 0.15), sliderLeft: sliderBox(-0.12, 0.06), sliderRight: sliderBox(0.15, 0.33) }
  },
  C: {
    id: "C",
    buttonX: -0.12,
    switchX: -0.32,
    bulbY: 0.132,
    doorX0: 0.06,
    doorTravel: 0.24,
    plankXMin: -0.184,
    plankXMax: 0.344,
    drawerX: 0.1,
    bodyRgb: hex(0x9e6c3f),
    drawerRgb: hex(0x8a5e4a),
    blockLength: { red: 0.08, blue: 0.04, pink: 0.056 },
    spawn: { table: tableBox(0.0, 0.35), sliderLeft: sliderBox(-0.12, 0.06), sliderRight: sliderBox(0.15, 0.3) }
  },
  D: {
    id: "D",
    buttonX: -0.12,
    switchX: 0.3,
    bulbY: 0.132,
    doorX0: -0.1,
    doorTravel: 0.28,
    plankXMin: -0.364,
    plankXMax: 0.164,
    drawerX: 0.18,
    bodyRgb: hex(0x9c754e),
    drawerRgb: hex(0x9c754e),
    blockLength: { red: 0.056, blue: 0.04, pink: 0.08 },
    spawn: { table: tableBox(0.0, 0.35), sliderLeft: sliderBox(-0.32, -0.16), sliderRight: sliderBox(-0.05, 0.13) }
  }
}

/**
 * Block slots of the long-horizon reset (§6.3, scene-D values; used for every scene, shifted to the scene's
 * compartment for the slider slots so a block always lands on the plank).
 *
 * @since 0.1.0
 * @category constants
 */
export const BLOCK_SLOTS_D = {
  sliderLeft: [-0.240852, 0.092404, 0.46099] as Vec3,
  sliderRight: [0.070342, 0.092404, 0.46099] as Vec3,
  table0: [0.05, -0.12, 0.45999] as Vec3,
  table1: [0.229995, -0.119995, 0.45999] as Vec3
} as const

/**
 * The reset slots for a scene. Scene D's are from the reference; for the others the two cabinet slots keep their
 * offset from the compartment's x span, and the table slots are moved into the scene's "table" spawn box.
 *
 * @since 0.1.0
 * @category geometry
 */
export const blockSlots = (scene: SceneId): { sliderLeft: Vec3; sliderRight: Vec3; table0: Vec3; table1: Vec3 } => {
  const s = SCENES[scene]
  const d = SCENES.D
  const dx = s.plankXMin - d.plankXMin
  const shiftX = (p: Vec3, by: number): Vec3 => [p[0] + by, p[1], p[2]]
  // Door-covered halves: the door centre at q = 0 and at full travel decides which slot is "right"/"left".
  const tx = s.spawn.table.xMin - d.spawn.table.xMin
  return {
    sliderLeft: shiftX(BLOCK_SLOTS_D.sliderLeft, dx),
    sliderRight: shiftX(BLOCK_SLOTS_D.sliderRight, dx),
    table0: shiftX(BLOCK_SLOTS_D.table0, tx),
    table1: shiftX(BLOCK_SLOTS_D.table1, tx)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Positions the scripted experts aim at
// ---------------------------------------------------------------------------------------------------------------

/**
 * World position of the drawer handle bar's centre for drawer joint value q (0 closed … 0.22 open).
 *
 * @since 0.1.0
 * @category geometry
 */
export const drawerHandlePosition = (scene: SceneId, q: number): Vec3 => [SCENES[scene].drawerX, DRAWER.handleY - q, DRAWER.handleZ]

/**
 * World position of the drawer's inner floor centre (plus `above` metres) for drawer joint value q: the place
 * target for `place_in_drawer` / `push_into_drawer`.
 *
 * @since 0.1.0
 * @category geometry
 */
export const drawerInteriorPosition = (scene: SceneId, q: number, above = BLOCK_SECTION / 2): Vec3 => [
  SCENES[scene].drawerX,
  (DRAWER.yFront + DRAWER.yBack) / 2 - q,
  DRAWER.zFloor + above
]

/**
 * World position of the sliding door's vertical handle bar centre for door joint value q (0 = door at its right end).
 *
 * @since 0.1.0
 * @category geometry
 */
export const doorHandlePosition = (scene: SceneId, q: number): Vec3 => [
  SCENES[scene].doorX0 + DOOR.handleDx - q,
  DOOR.handleY,
  (DOOR.handleZMin + DOOR.handleZMax) / 2
]

/**
 * World x span covered by the sliding door for joint value q.
 *
 * @since 0.1.0
 * @category geometry
 */
export const doorSpanX = (scene: SceneId, q: number): readonly [number, number] => [SCENES[scene].doorX0 - q, SCENES[scene].doorX0 + DOOR.width - q]

/**
 * World position of the centre of the button cap's top face for button joint value q (0 up … 0.02 pressed).
 *
 * @since 0.1.0
 * @category geometry
 */
export const buttonTopPosition = (scene: SceneId, q = 0): Vec3 => [SCENES[scene].buttonX, BUTTON.y, BUTTON.topZ - q]

/**
 * World position of the switch lever's centre for switch joint value q (0 down … 0.088 up). The lever moves along
 * `SLANT_UP`; push it up by pushing along `SLANT_UP` from its lower side.
 *
 * @since 0.1.0
 * @category geometry
 */
export const switchHandlePosition = (scene: SceneId, q: number): Vec3 => [
  SCENES[scene].switchX,
  SWITCH.jointY + q * SLANT_UP[1] + SWITCH.leverOut * SLANT_OUT[1],
  SWITCH.jointZ + q * SLANT_UP[2] + SWITCH.leverOut * SLANT_OUT[2]
]

/**
 * World position of a cabinet-compartment place target (block centre resting on the plank) on the given side.
 * "left" is the slider_left slot, "right" the slider_right slot.
 *
 * @since 0.1.0
 * @category geometry
 */
export const compartmentPosition = (scene: SceneId, side: "left" | "right"): Vec3 => {
  const slots = blockSlots(scene)
  return side === "left" ? slots.sliderLeft : slots.sliderRight
}

/**
 * Which compartment side the door leaves open for door value q: the side whose slot the door does not cover
 * ("right" door position q = 0 leaves the left half open).
 *
 * @since 0.1.0
 * @category geometry
 */
export const openCompartmentSide = (scene: SceneId, q: number): "left" | "right" => {
  const [x0, x1] = doorSpanX(scene, q)
  const left = compartmentPosition(scene, "left")[0]
  return left >= x0 && left <= x1 ? "right" : "left"
}

/** The LED position (slab centre). @since 0.1.0 @category geometry */
export const ledPosition = (scene: SceneId): Vec3 => [SCENES[scene].buttonX, LED.y, LED.z]
/** The bulb position (sphere centre). @since 0.1.0 @category geometry */
export const bulbPosition = (scene: SceneId): Vec3 => [SCENES[scene].switchX, SCENES[scene].bulbY, BULB.z]
