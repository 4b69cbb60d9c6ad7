/**
 * The registry of subcommands, loaded lazily: a command's dependencies (the simulator, onnxruntime, tfjs…) are
 * imported only when that command runs, so `robovla --help` is instant and one command's heavy or broken
 * dependency never affects another. To add a command: one entry here, pointing at `./<name>.ts`, which exports
 * `command: CliCommand`.
 *
 * @since 0.1.0
 */
import type { CliCommand } from "../CliCommand.ts"

/** @since 0.1.0 @category models */
export interface CommandEntry {
  readonly summary: string
  readonly load: () => Promise<CliCommand>
}

export const commands: Readonly<Record<string, CommandEntry>> = {
  bench: { summary: "run a benchmark suite (CALVIN long-horizon chains) against a policy", load: async () => (await import("./bench.ts")).command },
  collect: { summary: "record a CALVIN-format dataset with the scripted experts (resumable, parallel)", load: async () => (await import("./collect.ts")).command },
  export: { summary: "export a policy (checkpoint or plugins) to ONNX for onnxruntime-node (CUDA, WebGPU or CPU)", load: async () => (await import("./export.ts")).command },
  new: { summary: "scaffold a backbone or head plugin package", load: async () => (await import("./new.ts")).command },
  "pretrain-vl": { summary: "pre-train a backbone as a vision-language model on vl-pairs (resumable, held-out accuracy)", load: async () => (await import("./pretrain-vl.ts")).command },
  render: { summary: "render a play-table scene (static + gripper camera) to a PNG", load: async () => (await import("./render.ts")).command },
  serve: { summary: "serve policies over HTTP and the openpi WebSocket (the gateway)", load: async () => (await import("./serve.ts")).command },
  train: { summary: "train a VLA policy on a CALVIN-format dataset (resumable, checkpoints, loss plot)", load: async () => (await import("./train.ts")).command },
  "vl-pairs": { summary: "generate image-text pairs (captions, questions/answers) from the play table for VLM pre-training", load: async () => (await import("./vl-pairs.ts")).command },
  worker: { summary: "run chains of distributed benchmark runs from a Redis queue (BullMQ)", load: async () => (await import("./worker.ts")).command }
}
