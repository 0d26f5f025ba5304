// Engines, their ledgers and cards in containers, started with testcontainers (11.x; the
// reaper is disabled: it cannot be pulled here). What we start carries our labels and is
// removed on stop, on process exit, SIGINT and SIGTERM; leftovers of dead runs are swept
// by label at start. The engine sits behind a small HTTP front in this process, so its URL
// stays the same when a dead engine container is replaced by a fresh one mid-suite; the
// ledger and engine containers themselves are driven from a thread (engine-thread.ts).
export type * from './types';
export { startContainerEngine, openContainerEngine } from './engine';
export { startCardContainer, removeCardContainers } from './card-containers';
export { ContainerRuntimeError, pingDocker, sweepLeftovers, listOurs, LABEL_HARNESS, LABEL_RUN, LABEL_PID } from './docker';
export { buildImages, ensureImages, ENGINE_IMAGE, POSTGRES_IMAGE, BASE_IMAGE, INPUTS_LABEL } from './images';
