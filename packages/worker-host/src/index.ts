/** @procmesh/worker-host: procs in worker threads (see issue 4). */
export {};
