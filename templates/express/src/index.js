// {{name}}: an svl function with Express 4 on Node.js.
import { randomUUID } from 'node:crypto'
import express from 'express'

const name = '{{name}}'
const app = express()
app.disable('x-powered-by')

// A middleware: every request gets an id (the one svl's gateway sent in X-Request-Id, or a new
// one), echoed in the response and logged with the status and the time taken.
app.use((req, res, next) => {
  const id = req.get('x-request-id') ?? randomUUID()
  const started = process.hrtime.bigint()
  res.locals.requestId = id
  res.set('X-Request-Id', id)
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    console.log(`${id} ${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)} ms`)
  })
  next()
})

// JSON bodies up to 1 MiB (svl.toml's [http] max_body is the same).
app.use(express.json({ limit: '1mb' }))

app.get('/', (req, res) => {
  res.type('text').send(`hello from ${name}\n`)
})

app.get('/api/hello', (req, res) => {
  res.json({
    message: `hello from ${name}`,
    runtime: `node ${process.version}, express`,
    time: new Date().toISOString(),
  })
})

// POST a JSON object, e.g. {"name": "Ada"}.
app.post('/api/greet', (req, res) => {
  const who = req.body?.name
  if (typeof who !== 'string' || who === '') {
    return res.status(400).json({ error: 'send a JSON object with a "name" string' })
  }
  res.json({ message: `hello, ${who}`, from: name, request_id: res.locals.requestId })
})

app.use((req, res) => {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}` })
})

// Malformed JSON (express.json) and anything a route throws.
app.use((err, req, res, next) => {
  if (res.headersSent) return next(err)
  const status = err.status ?? err.statusCode ?? 500
  if (status >= 500) console.error(err)
  res.status(status).json({ error: status >= 500 ? 'internal error' : err.message })
})

const port = Number(process.env.PORT ?? 8080)
const server = app.listen(port, () => {
  console.log(`${name} listening on :${port}`)
})

// svl drains a replica before stopping it; still, finish what is in flight on SIGTERM.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0))
    server.closeIdleConnections() // Node 18 keeps idle keep-alive connections open otherwise
    setTimeout(() => process.exit(0), 8_000).unref()
  })
}
