// The SDK's conformance suite on plugins installed from a registry and loaded by package name through the SDK's
// loader (their JavaScript builds, as any user gets them).
import { PluginLoader } from "@robovla/sdk"
import { conformanceSuite } from "@robovla/sdk/testing"

for (const name of process.env.ROBOVLA_PLUGINS.split(",")) {
  const plugin = await PluginLoader.loadPlugin(name, { from: process.cwd() })
  conformanceSuite(plugin, { timeout: 120_000 })
}
