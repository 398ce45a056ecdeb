// Fallback entry of one task's worker thread (node-runtime/jobs/runner.ts), used when the
// one-file bundle of task-worker-main.ts cannot be built. Plain JavaScript: on Node 20 a worker
// does not inherit the parent's module hooks (neither `--import tsx` nor tsx's `register()`), so
// it registers tsx itself before loading the TypeScript body (slow: ~1 s per worker under load).
const { register } = await import('tsx/esm/api')
register()
await import('./task-worker-main.ts')
