// {{name}}: an svl function with Hono on Node.js.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const name = '{{name}}'
const app = new Hono()

app.get('/', (c) => c.text(`hello from ${name}\n`))

app.get('/api/hello', (c) =>
  c.json({
    message: `hello from ${name}`,
    runtime: `node ${process.version}`,
    time: new Date().toISOString(),
  }),
)

const port = Number(process.env.PORT ?? 8080)
const server = serve({ fetch: app.fetch, port }, (info) => {
  console.log(`${name} listening on :${info.port}`)
})

// svl drains a replica before stopping it; still, finish what is in flight on SIGTERM.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0))
    setTimeout(() => process.exit(0), 10_000).unref()
  })
}
