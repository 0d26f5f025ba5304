// The types of containers/' public face (index.ts): a container engine and card containers.

/** What startContainerEngine needs from a rig file (rigs/files.ts RigFile). */
export interface ContainerRigSpec {
  name: string;
  engine: { kind: string; image?: string; port?: number; env?: Record<string, string | number>; health?: unknown; [more: string]: unknown };
  ledger?: { image: string };
}

export interface ContainerEngineOptions {
  /** Progress and events (default: stderr). */
  log?: (line: string) => void;
  /** How long the engine may take to become healthy (default 120 s). */
  startupTimeoutMs?: number;
  /** How many times a dead engine is replaced before the harness gives up (default 5). */
  maxRestarts?: number;
  /** Sees every exchange that went through the front (tests: which settlements were acknowledged). */
  observe?: (request: Buffer, response: Buffer, status: number) => void;
  /** Called with each request before it is forwarded (tests kill the engine here, mid-request). */
  onRequest?: (request: Buffer) => void;
  /** The engine's control token (default: a new random one, ContainerEngine.controlToken). */
  controlToken?: string;
}

export interface ContainerEngine {
  /** Base URL of the engine (stable across restarts), e.g. http://127.0.0.1:41234 */
  url: string;
  /** postgres:// URL of the ledger from this host, when the rig has one (once started). */
  readonly ledgerUrl?: string;
  /** The token of the engine's control API (given to the container as MEDCARD_CONTROL_TOKEN). */
  readonly controlToken: string;
  /** Resolves when the ledger and the first engine are ready; rejects with why they are not. */
  started: Promise<void>;
  /** The engine container running now. */
  engineContainerId(): string;
  ledgerContainerId(): string | undefined;
  /** How many times the engine was replaced. */
  restarts(): number;
  /** Resolves once a replacement (if one is under way) is ready. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

export interface CardContainerOptions {
  image?: string;
  /** vpcd port on the host (35963 is "Virtual PCD 00 00"). */
  vpcdPort: number;
  /** The host's address seen from the container (default: the bridge gateway). */
  vpcdHost?: string;
  /** How long the card may take to say it is in (default 30 s): a container still silent then is removed and the insert fails, not retried. */
  startupTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface CardContainer { id: string; stop(): Promise<void> }

/** One of our images present in the container engine (`medcard images list`). */
export interface ImageListing { name: string; id: string; sizeBytes: number; created: Date; inputs: string }
