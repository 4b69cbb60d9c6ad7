/**
 * The SDK conformance suite on the tiny VLM (manifest, config, make/release, shapes, mask, determinism,
 * buffers, bad input), at its default (test-sized) config.
 */
import * as tf from "@tensorflow/tfjs-core"
import { conformanceSuite } from "@robovla/sdk/testing"
import { plugin } from "../src/index.ts"

conformanceSuite(plugin, { liveResources: () => tf.memory().numTensors })
