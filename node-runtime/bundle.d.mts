/** Types of node-runtime/bundle.mjs (plain JavaScript, loaded by the bin before any TS loader). */
export declare const STAMP: string
export declare function freshBundleEntry (root: string, first: string): string | undefined
export declare function commandSources (metafile: { outputs: Record<string, { imports?: Array<{ path: string, kind: string, external?: boolean }>, inputs: Record<string, unknown>, entryPoint?: string }> }): Record<string, string[]>
