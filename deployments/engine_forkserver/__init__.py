"""A per-worker fork server for Prefect flow-run engines: image runs start without importing Prefect each time.

A process worker starts every flow run as a fresh `python -m prefect.engine`, which imports Prefect and our flows
(~3 s of CPU on the machines we measured) before it does anything. With the `fan-out-image` deployment's command
`python -m deployments.engine_forkserver.launcher --preload flows.image`, the worker starts a tiny launcher instead
(standard library only). The launcher hands the run's environment, working directory and standard streams to a
long-lived, single-threaded server of the same worker that has already imported Prefect and the flows, and the server
forks one child per flow run that runs Prefect's own engine entry point (`prefect.engine` as `__main__`).

- `launcher.py`: the worker's job command; forwards signals to the child and exits like it (code or signal). If
  no server can be reached it runs `python -m prefect.engine` itself, so a run never depends on the server.
- `server.py`: the fork server; one per worker process, environment and preload list (`protocol.server_key`);
  started by the first launcher that needs it, exits when its worker is gone or after an idle time.
- `protocol.py`: the socket path and the messages between the two.

A killed launcher (`kill -9` of the flow run's process, what Prefect's crash handling sees) kills its child: the
server kills the child's process group when the launcher's connection drops. A killed server kills its children
(`PR_SET_PDEATHSIG`). Linux only; elsewhere the launcher runs the engine itself.
"""
