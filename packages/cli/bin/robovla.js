#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so the CLI works straight from the workspace without a build.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
