// Entry of the instrumenting worker thread (node-runtime/migration/instrumenter.ts). Plain
// JavaScript: a worker does not inherit the parent's module hooks, so it registers tsx itself
// before loading the TypeScript body (once per process: the thread stays up while it is used).
// binaryen (13 MB of JS) is imported first, by Node itself: through tsx's loader the same import
// takes 10–25× longer (~20 s of CPU on a quiet 2-core machine, ~60 s loaded); once it is in the
// module map, the body's `import('binaryen')` is that same module.
await import('binaryen')
const { register } = await import('tsx/esm/api')
register()
await import('./instrument-worker-main.ts')
