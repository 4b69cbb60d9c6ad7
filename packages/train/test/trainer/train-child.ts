// A training run in its own process, so the test can SIGKILL it: argv[2] is the JSON of the TrainOptions.
import { train } from "../../src/trainer/Trainer.ts"

const options = JSON.parse(process.argv[2]!)
await train(options)
process.stdout.write("done\n")
