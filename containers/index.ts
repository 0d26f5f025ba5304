// containers: engines and their ledgers in containers (through Docker's API), and cards (testcontainers,
// 11.x; the reaper is disabled: it cannot be pulled here). What we start carries our labels
// and is removed on stop, on process exit, SIGINT and SIGTERM (cleanup.ts); leftovers of dead
// runs are swept by label at start (docker.ts). The public face: other folders import from here.
export type { CardContainer, CardContainerOptions, ContainerEngine, ContainerEngineOptions, ContainerRigSpec, ImageListing } from './types';
export { openContainerEngine, startContainerEngine } from './engine';
export { removeCardContainers, startCardContainer } from './card-containers';
export { ContainerRuntimeError, pingDocker, sweepLeftovers, listOurs, LABEL_HARNESS, LABEL_PID, LABEL_RUN } from './docker';
export { buildImages, ensureImages, hashTree, listImages, ENGINE_IMAGE, POSTGRES_IMAGE, BASE_IMAGE, INPUTS_LABEL } from './images';
