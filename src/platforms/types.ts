import type { Core } from '../core.js';
import type { HttpServer } from '../http.js';
import type { PlatformPort } from '../port.js';

/** A running platform adapter: its one port (already registered with the core), and a way to stop it. */
export interface PlatformAdapter {
  port: PlatformPort;
  stop(): Promise<void>;
}

export type StartAdapter<C> = (core: Core, config: C, http: HttpServer) => Promise<PlatformAdapter>;
