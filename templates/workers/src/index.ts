// {{name}}: an svl function written as a Workers-style fetch handler.
import type { Env, ExecutionContext, Worker } from './worker.js'

const name = '{{name}}'
let backgroundDone = 0 // background tasks finished since start (see /api/background)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)

    if (request.method === 'GET' && url.pathname === '/') {
      return new Response(`hello from ${name}\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } })
    }

    if (request.method === 'GET' && url.pathname === '/api/hello') {
      return Response.json({
        message: `hello from ${name}`,
        runtime: `node ${process.version}, workers-style fetch handler`,
        greeting: env.GREETING ?? null, // set GREETING under [env] in svl.toml
        time: new Date().toISOString(),
      })
    }

    if (request.method === 'POST' && url.pathname === '/api/echo') {
      const body = await request.json().catch(() => undefined)
      if (body === undefined) return Response.json({ error: 'send a JSON body' }, { status: 400 })
      return Response.json({ received: body })
    }

    // Answers at once, then works on for `ms` milliseconds (at most 20 s) after the response.
    if (url.pathname === '/api/background') {
      if (request.method === 'GET') return Response.json({ done: backgroundDone })
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 1000) || 0, 20_000)
      ctx.waitUntil(
        sleep(ms).then(() => {
          backgroundDone += 1
          console.log(`background task done after ${ms} ms`)
        }),
      )
      return Response.json({ accepted: true, ms }, { status: 202 })
    }

    return Response.json({ error: `no route for ${request.method} ${url.pathname}` }, { status: 404 })
  },
} satisfies Worker
