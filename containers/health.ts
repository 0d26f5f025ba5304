// A rig's `engine.health`: how to tell the engine container is ready.

export interface Health { path?: string; status?: number; log?: string; timeoutMs?: number }

/** A path ("/health"), a log line, or { path, status, log, timeout (s) | timeoutMs }; none: the port listens. */
export function parseHealth(h: unknown): Health {
  if (h === undefined || h === null) return { path: undefined };
  if (typeof h === 'string') return h.startsWith('/') ? { path: h } : { log: h };
  if (typeof h === 'object') {
    const o = h as Record<string, unknown>;
    return {
      path: typeof o.path === 'string' ? o.path : undefined,
      status: typeof o.status === 'number' ? o.status : undefined,
      log: typeof o.log === 'string' ? o.log : undefined,
      timeoutMs: typeof o.timeout === 'number' ? o.timeout * 1000 : typeof o.timeoutMs === 'number' ? o.timeoutMs : undefined,
    };
  }
  throw new Error(`engine.health: a path ("/health"), a log line, or { path, status, log, timeout }`);
}
