import type { Core } from '../core.js';
import type { HttpServer } from '../http.js';
import type { CardPort } from '../port.js';

/** A running platform adapter: its CardPort for the tracker, and a way to stop it. */
export interface PlatformAdapter {
  port: CardPort;
  stop(): Promise<void>;
}

export type StartAdapter<C> = (core: Core, config: C, http: HttpServer) => Promise<PlatformAdapter>;
