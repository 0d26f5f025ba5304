// Support code `medcard run` loads beside steps/: what the rig file asks of cucumber's runtime.
// `exclusive: <tag>` in a rig file: two scenarios carrying that tag never run at the same time
// (one physical reader shared by parallel workers; cucumber's atMostOnePicklePerTag).
import { setParallelCanAssign, parallelCanAssignHelpers } from '@cucumber/cucumber';

const tag = process.env.MEDCARD_EXCLUSIVE_TAG;
if (tag) setParallelCanAssign(parallelCanAssignHelpers.atMostOnePicklePerTag([tag]));
