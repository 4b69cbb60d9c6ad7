/**
 * The backbone's tokenizer: a Hugging Face `tokenizer.json` (plus optional `tokenizer_config.json`) run by
 * `@huggingface/tokenizers`, wrapped with the backbone's prompt template. Encodings include BOS/EOS exactly as
 * the tokenizer's own post-processor adds them, so ids match Python's `tokenizer(text).input_ids`.
 *
 * @since 0.1.0
 */
import { Tokenizer } from "@huggingface/tokenizers"
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import type { BackboneTokenizer, SdkError } from "@robovla/sdk"
import { describeCause, onnxError } from "./OnnxError.ts"

/**
 * What the tokenizer needs besides its files: special ids and the vocabulary size from `config.json`.
 *
 * @since 0.1.0
 * @category models
 */
export interface OnnxTokenizerOptions {
  readonly tokenizerFile: string
  readonly tokenizerConfigFile: string | undefined
  readonly promptTemplate: string
  readonly vocabSize: number
  readonly bosId: number | undefined
  readonly eosId: number | undefined
  readonly padId: number
}

/** The placeholder replaced by the instruction in a prompt template. @since 0.1.0 @category constants */
export const INSTRUCTION_PLACEHOLDER = "{instruction}"

const readJson = (file: string, what: string): Effect.Effect<object, SdkError> =>
  Effect.gen(function*() {
    const text = yield* Effect.tryPromise({
      try: () => fs.readFile(file, "utf8"),
      catch: (cause) => onnxError("WeightsNotFound", `cannot read ${what} ${file}: ${describeCause(cause)}`, file, cause)
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (cause) => onnxError("CorruptFile", `${what} ${file} is not valid JSON: ${describeCause(cause)}`, file, cause)
    })
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return yield* Effect.fail(onnxError("CorruptFile", `${what} ${file} is not a JSON object`, file))
    }
    return json
  })

/**
 * Fills the prompt template. A template without `{instruction}` is rejected at load time, not here.
 *
 * @since 0.1.0
 * @category utils
 */
export const applyPromptTemplate = (template: string, instruction: string): string =>
  template.split(INSTRUCTION_PLACEHOLDER).join(instruction)

/**
 * Loads the tokenizer files and returns the contract's `BackboneTokenizer`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOnnxTokenizer = (options: OnnxTokenizerOptions): Effect.Effect<BackboneTokenizer, SdkError> =>
  Effect.gen(function*() {
    if (!options.promptTemplate.includes(INSTRUCTION_PLACEHOLDER)) {
      return yield* Effect.fail(
        onnxError(
          "InvalidInput",
          `prompt template ${JSON.stringify(options.promptTemplate)} has no ${INSTRUCTION_PLACEHOLDER} placeholder`,
          "promptTemplate"
        )
      )
    }
    const tokenizerJson = yield* readJson(options.tokenizerFile, "tokenizer")
    const tokenizerConfig = options.tokenizerConfigFile === undefined
      ? {}
      : yield* readJson(options.tokenizerConfigFile, "tokenizer config")
    const tokenizer = yield* Effect.try({
      try: () => new Tokenizer(tokenizerJson, tokenizerConfig),
      catch: (cause) =>
        onnxError(
          "CorruptFile",
          `${options.tokenizerFile} is not a Hugging Face tokenizer: ${describeCause(cause)}`,
          options.tokenizerFile,
          cause
        )
    })
    const tokenizerSize = tokenizer.get_vocab(true).size
    if (tokenizerSize > options.vocabSize) {
      return yield* Effect.fail(
        onnxError(
          "ShapeMismatch",
          `${options.tokenizerFile} has ${tokenizerSize} tokens but config.json vocab_size is ${options.vocabSize}`,
          "config.json: vocab_size"
        )
      )
    }
    const { promptTemplate } = options
    return {
      vocabSize: options.vocabSize,
      bosId: options.bosId,
      eosId: options.eosId,
      padId: options.padId,
      encode: (instruction) => tokenizer.encode(applyPromptTemplate(promptTemplate, instruction)).ids,
      decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: true })
    } satisfies BackboneTokenizer
  })
