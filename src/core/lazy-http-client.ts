/**
 * Bundle-time stand-in for `@actions/http-client`, mapped in tsconfig.json `paths` (ncc resolves through them).
 *
 * `@actions/core` imports the HTTP client for one function, `getIDToken` (OIDC), and through it undici: about
 * 1 MB of bundle evaluated at every action's start, roughly 30 ms of the cold-start budget, for a feature no
 * step of ours calls. This module keeps the same class and methods but loads the real client on the first
 * request, by dynamic import (ncc emits it as a separate chunk next to the bundle), so behaviour (proxy
 * support, retries, redirects, error types) is the library's own, only deferred.
 *
 * The real module is named by its path because the package name maps back to this file. Only what that client
 * calls exists here (the constructor, getJson, dispose), so the build refuses any other importer (scripts/bundle-stats.mjs, `standInMisuse`): @actions/github, for one, calls
 * `getAgentDispatcher` through a namespace import, which would otherwise fail only at run time.
 */
import type { TypedResponse } from '@actions/http-client/lib/interfaces';
import type * as Real from '../../node_modules/@actions/http-client/lib/index.js';

type RealClient = Real.HttpClient;
type Args = ConstructorParameters<typeof Real.HttpClient>;

let loading: Promise<typeof Real> | undefined;

/** The real `@actions/http-client` module, imported once. */
export function loadHttpClient(): Promise<typeof Real> {
  loading ??= import('../../node_modules/@actions/http-client/lib/index.js');
  return loading;
}

/** `@actions/http-client`'s HttpClient as @actions/core's OIDC client uses it; the real one is made on first use. */
export class HttpClient {
  readonly #args: Args;
  #client: Promise<RealClient> | undefined;
  #disposed = false;

  constructor(...args: Args) {
    this.#args = args;
  }

  #real(): Promise<RealClient> {
    // the library's own words for a request after dispose()
    if (this.#disposed && !this.#client)
      return Promise.reject(new Error('Client has already been disposed.'));
    this.#client ??= loadHttpClient().then((m) => new m.HttpClient(...this.#args));
    return this.#client;
  }

  /** GET and parse JSON: the one request @actions/core's OIDC client makes. */
  async getJson<T>(...a: Parameters<RealClient['getJson']>): Promise<TypedResponse<T>> {
    const client = await this.#real();
    return client.getJson<T>(...a);
  }

  /** Ends the real client's keep-alive agents, if one was made; later requests fail, as the library's do. */
  dispose(): void {
    this.#disposed = true;
    void this.#client?.then((c) => c.dispose());
  }
}
