// Runs the Workers-style handler of index.ts on Node.js with @hono/node-server. This file belongs to
// the template: edit index.ts, not this one, unless you change how the handler is served.
//
// ctx.waitUntil: the work is tracked until it settles. svl counts a replica as idle from the
// moment its last response ends, and pauses it only after svl.toml's `pause_after` of idleness:
// work that ends within WAIT_UNTIL_LIMIT_MS of its response (default 30 s, Cloudflare's own
// limit) is never frozen, as long as `pause_after` is at least that long (the template's is 30 s).
// On SIGTERM (svl stopping or replacing the replica) the server stops accepting and the process
// exits only once every pending task has settled, within the stop grace svl gives (10 s).
import { serve } from '@hono/node-server'
import worker from './index.js'
import type { Env, ExecutionContext } from './worker.js'

const limitMs = Number(process.env.WAIT_UNTIL_LIMIT_MS ?? 30_000)
const pending = new Set<Promise<void>>()
let inFlight = 0 // requests whose handler has not returned yet (they may still call waitUntil)
let whenIdle: (() => void) | undefined // set on SIGTERM: called once nothing is left to do

function checkIdle(): void {
  if (whenIdle && inFlight === 0 && pending.size === 0) whenIdle()
}

function track(promise: Promise<unknown>): void {
  const started = Date.now()
  const late = setTimeout(() => {
    console.warn(`waitUntil: a task is still running ${limitMs} ms after its response; svl may pause it`)
  }, limitMs)
  late.unref()
  const task: Promise<void> = Promise.resolve(promise)
    .then(
      () => undefined,
      (err: unknown) => console.error(`waitUntil: a task failed after ${Date.now() - started} ms:`, err),
    )
    .finally(() => {
      clearTimeout(late)
      pending.delete(task)
      checkIdle()
    })
  pending.add(task)
}

function context(): ExecutionContext {
  return { waitUntil: track, passThroughOnException() {} }
}

const env: Env = { ...process.env }
const port = Number(process.env.PORT ?? 8080)

const server = serve(
  {
    port,
    fetch: async (request: Request) => {
      inFlight += 1
      try {
        return await worker.fetch(request, env, context())
      } catch (err) {
        console.error('fetch handler threw:', err)
        return new Response('internal error\n', { status: 500 })
      } finally {
        inFlight -= 1
        checkIdle()
      }
    },
  },
  (info) => console.log(`listening on :${info.port}`),
)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (whenIdle) return
    server.close()
    if ('closeIdleConnections' in server) server.closeIdleConnections() // Node 18 keeps them open otherwise
    if (pending.size > 0) console.log(`${signal}: waiting for ${pending.size} waitUntil task(s)`)
    whenIdle = () => process.exit(0)
    setTimeout(() => {
      console.warn(`${signal}: ${pending.size} waitUntil task(s) still pending; exiting`)
      process.exit(0)
    }, 9_000).unref() // svl's stop grace is 10 s; after it the process is killed
    checkIdle()
  })
}
