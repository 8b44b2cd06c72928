// The types a Workers-style handler is written against (the subset this adapter provides).

// The function's environment variables: svl.toml's [env], plus PORT.
export type Env = Record<string, string | undefined>

export interface ExecutionContext {
  // Keeps `promise` running after the response has been sent; see README.md for how long.
  waitUntil(promise: Promise<unknown>): void
  // Accepted for compatibility; there is no origin to pass through to.
  passThroughOnException(): void
}

export interface Worker {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>
}
