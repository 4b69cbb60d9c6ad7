import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeVlaConfig, decodeVlaConfigResult, defaultVlaConfig } from "../../src/VlaConfig.ts"

const errorOf = (input: unknown) => Effect.runPromise(Effect.flip(decodeVlaConfig(input)))

describe("VLA config schema", () => {
  it("fills the CALVIN Kosmos defaults (reference/robovlms.md §7.3)", async () => {
    const config = await Effect.runPromise(decodeVlaConfig({}))
    expect(config).toEqual(defaultVlaConfig)
    expect(config.window_size).toBe(8)
    expect(config.fwd_pred_next_n).toBe(10)
    expect(config.act_head).toMatchObject({
      type: "lstm",
      hidden_size: 1024,
      num_layers: 4,
      latent: 1,
      action_space: "continuous",
      history_type: "post",
      n_bin: 256
    })
    expect(config.train_setup).toMatchObject({
      freeze_backbone: false,
      train_vision: true,
      train_text_embedding: true,
      train_decoder_layers: -1,
      lora_enable: false,
      lora_r: 64,
      lora_alpha: 16,
      lora_dropout: 0.05
    })
    expect([config.norm_action, config.norm_min, config.norm_max]).toEqual([true, -0.65, 0.65])
    expect(config.arm_gripper_loss_ratio).toBe(0.01)
    expect([config.learning_rate, config.min_lr_scale, config.weight_decay, config.warmup_epochs]).toEqual([
      2e-5,
      0.01,
      0,
      0.25
    ])
    expect(config.batch_size).toBe(41)
    expect(config.use_hand_rgb).toBe(false)
    expect(config.image_size).toBe(224)
  })

  it("keeps given values and fills only the missing nested keys", async () => {
    const config = await Effect.runPromise(
      decodeVlaConfig({ window_size: 16, use_hand_rgb: true, act_head: { type: "gpt", hidden_size: 512 } })
    )
    expect(config.window_size).toBe(16)
    expect(config.act_head.type).toBe("gpt")
    expect(config.act_head.hidden_size).toBe(512)
    expect(config.act_head.num_layers).toBe(4)
  })

  it("accepts RoboVLMs head class names and lets a discrete head imply a discrete action space", async () => {
    expect((await Effect.runPromise(decodeVlaConfig({ act_head: { type: "LSTMDecoder" } }))).act_head.type).toBe("lstm")
    expect((await Effect.runPromise(decodeVlaConfig({ act_head: { type: "FCDecoder" } }))).act_head.type).toBe("mlp")
    const discrete = await Effect.runPromise(decodeVlaConfig({ act_head: { type: "DiscreteDecoder" } }))
    expect(discrete.act_head).toMatchObject({ type: "discrete", action_space: "discrete" })
  })

  it("names the field and the reason for bad values", async () => {
    const negative = await errorOf({ window_size: -1 })
    expect(negative.reason).toBe("InvalidInput")
    expect(negative.subject).toBe("window_size")
    expect(negative.message).toContain("window_size: Expected a value greater than 0, got -1")

    expect((await errorOf({ act_head: { type: "gru" } })).message).toContain(
      `act_head.type: Expected "lstm" | "mlp" | "gpt" | "discrete", got "gru"`
    )
    expect((await errorOf({ norm_min: 0.65, norm_max: -0.65 })).message).toContain(
      "norm_max: norm_min (0.65) must be < norm_max (-0.65)"
    )
    expect((await errorOf({ fwd_pred_next_n: 2.5 })).message).toContain("fwd_pred_next_n: Expected an integer, got 2.5")
    expect((await errorOf({ train_setup: { lora_dropout: 1 } })).message).toContain("train_setup.lora_dropout")
    expect((await errorOf({ act_head: { type: "mlp", action_space: "discrete" } })).message).toContain(
      `act_head.action_space: head type "mlp" needs action_space "continuous", got "discrete"`
    )
    expect((await errorOf({ act_head: { history_type: "one_step" } })).message).toContain(
      `window_size: history_type "one_step" needs window_size 1, got 8`
    )
  })

  it("rejects unknown keys unless asked to ignore them (full RoboVLMs files)", async () => {
    expect((await errorOf({ windw_size: 8 })).message).toContain("windw_size: unknown key")
    const lenient = decodeVlaConfigResult({ windw_size: 8, optimizer: "adam" }, { allowUnknownKeys: true })
    expect(Result.isSuccess(lenient)).toBe(true)
  })

  it("lists every problem at once", async () => {
    const error = await errorOf({ window_size: 0, batch_size: -4, scheduler: "linear" })
    expect(error.message).toContain("window_size:")
    expect(error.message).toContain("batch_size:")
    expect(error.message).toContain("scheduler:")
  })
})
