// Entry of the instrumenting worker thread (node-runtime/migration/instrumenter.ts). Plain
// JavaScript: a worker does not inherit the parent's module hooks, so it registers tsx itself
// before loading the TypeScript body (once per process: the thread stays up while it is used).
const { register } = await import('tsx/esm/api')
register()
await import('./instrument-worker-main.ts')
