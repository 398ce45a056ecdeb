/**
 * What every panel gets from the app shell. The mesh work fills this in with the browser peer.
 */
export interface AppContext {
  /** Base URL of the page, for fetching assets. */
  baseUrl: string
}
