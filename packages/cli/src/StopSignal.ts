/**
 * Ctrl-C / SIGTERM for long commands: the first asks the run to stop cleanly (it aborts `signal`, and the command
 * writes its checkpoint), a second one a second later quits at once. npx / tsx forward the terminal's Ctrl-C to
 * the process group's members, so one keypress can arrive twice within milliseconds: only a later one counts.
 *
 * @since 0.1.0
 */
export const listenForStop = (message: string): { readonly signal: AbortSignal; readonly dispose: () => void } => {
  const controller = new AbortController()
  let stoppedAt = 0
  const stop = () => {
    if (controller.signal.aborted) {
      if (Date.now() - stoppedAt > 1000) process.exit(130)
      return
    }
    stoppedAt = Date.now()
    process.stderr.write(`\n${message}\n`)
    controller.abort()
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", stop)
      process.off("SIGTERM", stop)
    }
  }
}
