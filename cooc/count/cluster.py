"""Reaching a Dask scheduler: connecting, probing it on time, starting a cluster on this machine.

A Dask ``Client`` waits forever for a peer that accepts the connection and never answers;
everything here asks with a deadline (``CONNECT_TIMEOUT``) and turns a scheduler that is
gone or silent into one :class:`~cooc._core.errors.ClusterError` naming its address.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .._core.errors import ClusterError, InvalidParameterError, MissingDependencyError
from .._core.threads import available_cores

#: Seconds to wait for a scheduler to answer when connecting (and when asked whether it is alive).
CONNECT_TIMEOUT = 30.0
#: Seconds between checks that the scheduler still answers while a count waits for its results.
HEARTBEAT = 10.0


def bounded(call: Callable[[], Any], timeout: float) -> Any:
    """``call()`` (a request to the scheduler) given ``timeout`` seconds; None if it did not answer."""
    import threading

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # reported as no answer
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome.get("value")


def address_of(client: Any, scheduler: Any) -> str:
    address = getattr(getattr(client, "scheduler", None), "address", None)
    return str(address or scheduler)


@contextlib.contextmanager
def scheduler_errors(address: str) -> Iterator[None]:
    """Turn the ways a lost scheduler surfaces (cancelled futures, closed comms), and a task whose workers all died
    (``KilledWorker``), into one :class:`ClusterError`."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    try:
        yield
    except KilledWorker as exc:
        task = getattr(exc, "task", None) or " ".join(str(exc).split())
        raise ClusterError(
            f"the Dask workers running {task} died each time they tried it (as one that runs out of memory is killed; "
            f"their logs say why); nothing was written. Give each task less memory (memory=, --memory) or the workers "
            f"more, then run the count again."
        ) from None
    except (CancelledError, CommClosedError, ConnectionError, TimeoutError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ClusterError(
            f"lost the Dask scheduler at {address} during the count ({reason}); nothing was written. "
            f"Check that the scheduler is running, then run the count again."
        ) from None


def connect(scheduler: Any) -> tuple[Any, Callable[[], None], int | None]:
    """A ``Client`` for ``scheduler``, a function closing what was opened here, and threads per task.

    See :func:`cooc.count.distributed.count_distributed` for the accepted values.
    """
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError("Dask counting needs dask.distributed: pip install 'dask[distributed]'") from None
    if isinstance(scheduler, Client):
        return scheduler, lambda: None, None
    if hasattr(scheduler, "scheduler_address"):  # a cluster object
        client = Client(scheduler)
        return client, client.close, None
    check_scheduler(scheduler)
    if scheduler.startswith("local"):
        cluster, threads = local_cluster(scheduler)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close, threads
    probe_scheduler(scheduler, CONNECT_TIMEOUT)
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT:g}s")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}).") from None
    return client, client.close, None


def _refuse_closed_port(address: str, timeout: float) -> None:
    """A ``tcp://host:port`` where the host refuses the connection fails at once (Dask's own connect retries
    a refused port until its timeout): nothing listens there."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        return
    if host is None or port is None:
        return
    try:
        socket.create_connection((host, port), timeout=min(timeout, 5.0)).close()
    except ConnectionRefusedError:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address!r}: nothing listens on port {port} of {host} "
            "(is the scheduler running, and is the port right?)."
        ) from None
    except OSError:  # unreachable, unknown host, a firewall's silence: Dask's connect says which, on its time
        return


def probe_scheduler(address: str, timeout: float = 30.0) -> None:
    """Ask the scheduler at ``address`` who it is, waiting at most ``timeout`` seconds in all.

    ``distributed.Client`` waits forever for a peer that accepts the connection and never
    answers (a wrong port, a stalled process); this asks once, in a thread of its own (it
    works from a notebook, whose thread runs an event loop), and gives up on time.

    Raises
    ------
    ClusterError
        No connection, or no answer within ``timeout``; the message names the address.
    """
    import asyncio
    import threading

    from distributed.comm import connect as open_comm

    _refuse_closed_port(address, timeout)

    outcome: dict[str, Any] = {}

    async def ask() -> None:
        comm = await open_comm(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            outcome["reply"] = await comm.read()
        finally:
            comm.abort()

    def run() -> None:
        try:
            asyncio.run(asyncio.wait_for(ask(), timeout))
        except BaseException as exc:  # reported to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="cooc-scheduler-probe", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    error = outcome.get("error")
    if "reply" in outcome:
        return
    if thread.is_alive() or isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        raise ClusterError(
            f"the Dask scheduler at {address!r} did not answer within {timeout:g} s (is it a Dask scheduler, and "
            f"is it running?)."
        )
    raise ClusterError(f"cannot reach the Dask scheduler at {address!r} ({' '.join(str(error).split())}).")


def check_scheduler(scheduler: Any) -> None:
    """Check the form of a scheduler given as a string (or a Client or cluster) without connecting.

    Raises
    ------
    InvalidParameterError
    """
    if hasattr(scheduler, "scheduler_address") or type(scheduler).__name__ == "Client":
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise InvalidParameterError(
            f"parameter 'scheduler' must be an address like 'tcp://host:8786', 'local', "
            f"'local:N', 'local-cuda', a Client or a cluster; got {scheduler!r}."
        )
    if scheduler.startswith("local"):
        name, _, count = scheduler.partition(":")
        if name not in ("local", "local-cuda") or (count and not count.isdigit()) or count == "0":
            raise InvalidParameterError(
                f"parameter 'scheduler' must be 'local', 'local:N', 'local-cuda' or "
                f"'local-cuda:N' (N >= 1) for a cluster on this machine; got {scheduler!r}."
            )


def local_cluster(spec: str = "local") -> tuple[Any, int | None]:
    """Start the cluster named by ``"local[:N]"`` or ``"local-cuda[:N]"``; return it and threads per task."""
    name, _, count = spec.partition(":")
    if name not in ("local", "local-cuda") or (count and not count.isdigit()) or count == "0":
        raise InvalidParameterError(
            f"parameter 'scheduler' must be 'local', 'local:N', 'local-cuda' or "
            f"'local-cuda:N' (N >= 1) for a cluster on this machine; got {spec!r}."
        )
    cores = available_cores()
    if name == "local-cuda":
        try:
            from dask_cuda import LocalCUDACluster
        except ImportError:
            raise MissingDependencyError("'local-cuda' needs dask-cuda: pip install dask-cuda") from None
        kwargs = {"n_workers": int(count)} if count else {}
        return LocalCUDACluster(threads_per_worker=1, dashboard_address=":0", **kwargs), None
    from distributed import LocalCluster

    n = int(count) if count else min(4, cores)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
    return cluster, max(1, cores // n)


__all__ = ["connect", "check_scheduler", "probe_scheduler", "local_cluster", "CONNECT_TIMEOUT", "HEARTBEAT"]
