"""`ConfigGuard`: hot reload of a config file that validates before it applies.

Kubernetes updates a mounted ConfigMap by writing a new timestamped
directory and renaming the `..data` symlink onto it, so the file's own path
never changes and inotify-style watches on it miss the swap. The guard polls
instead: it compares the resolved path, inode, size and modification time of
the file every `interval` seconds, which sees the symlink swap, plain
in-place writes and atomic renames alike.

The polling thread holds the guard only weakly: a guard that is dropped
(garbage-collected) stops its thread, as does interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import weakref
from typing import Any, Callable

from ._assay import Policy, Report, parse
from ._errors import AssayError, InputError

log = logging.getLogger("assay")

Fingerprint = tuple[Any, ...]

# How long interpreter exit waits, in all, for watchers to finish the poll
# they are in (an `on_apply` that hangs must not hang the exit).
_EXIT_WAIT = 2.0


def _checked_str(name: str, value: object, *, optional: bool = True) -> None:
    """A str argument's check: `TypeError` for another type, `InputError`
    for a str with no UTF-8 form (a lone surrogate), as the extension's
    functions raise them."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        what = "a str or None" if optional else "a str"
        raise TypeError(f"`{name}` must be {what}, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(
            f"`{name}` is not valid Unicode (a lone surrogate at character {e.start + 1})"
        ) from None


class _Watcher:
    """A guard's polling thread. It holds the guard weakly, and strongly
    only during a poll, so that a dropped guard is collected; the guard's
    finalizer then stops it."""

    live: set[_Watcher] = set()
    live_lock = threading.Lock()

    def __init__(self, guard: ConfigGuard) -> None:
        self._guard = weakref.ref(guard)
        self._path = guard.path
        self._interval = guard.interval
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"assay-guard:{guard.path}",
                                       daemon=True)

    def start(self) -> None:
        with _Watcher.live_lock:
            _Watcher.live.add(self)
        self.thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stops polling; waits (up to `timeout`) for a poll under way,
        unless called from the watcher itself (from `on_apply`, or when the
        watcher let go of the guard's last reference)."""
        self._stopped.set()
        with _Watcher.live_lock:
            _Watcher.live.discard(self)
        if self.thread is not threading.current_thread() and self.thread.ident is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            if not self._poll():
                break
        with _Watcher.live_lock:
            _Watcher.live.discard(self)

    def _poll(self) -> bool:
        # The one strong reference, dropped on return.
        guard = self._guard()
        if guard is None or self._stopped.is_set():
            return False
        try:
            guard.poll()
        except Exception:  # the watcher must outlive any one bad version
            log.exception("%s: reload failed", self._path)
        return True


def _stop_watchers_at_exit() -> None:
    """Stops every watcher when the interpreter exits, so that none is in a
    poll, calling into the extension, while the interpreter finalizes."""
    with _Watcher.live_lock:
        watchers = list(_Watcher.live)
    for w in watchers:
        w._stopped.set()
    deadline = time.monotonic() + _EXIT_WAIT
    for w in watchers:
        w.stop(max(0.0, deadline - time.monotonic()))


atexit.register(_stop_watchers_at_exit)


class ConfigGuard:
    """Watches `path`, validates each new version with `policy`, and calls
    `on_apply(config)` only with versions that pass (warnings allowed).

    The first version is read when the guard is made. A version that fails
    (does not parse, has error findings, cannot be read, is validated by no
    policy, or `on_apply` raised) is not applied: `config` keeps the last
    good one and `last_error` says why.

    `configmap` names the ConfigMap the file is mounted from (`namespace`
    optionally its namespace): the file is then checked as that ConfigMap
    with the file under its `data` key, so the policy that guards the
    ConfigMap at admission (`embedded: /data/config.yaml`) guards the
    mounted file too; a policy must read the file as an embedded file.
    Without it, a policy with a schema, embedded files or rules must match
    the file itself. `reload_delay` (seconds) waits after a change is seen before
    reloading, so replicas can stagger their reloads; the version read then is
    the newest. A dotenv file (`.env`, `*.env`) is checked as the ConfigMap
    kustomize's `configMapGenerator` makes of it, and its variables (a dict)
    are applied. The watcher (a daemon thread) runs until `close()` (or
    `stop()`, or leaving a `with` block), until the guard is dropped
    (garbage-collected), or until the interpreter exits.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        policy: Policy,
        on_apply: Callable[[Any], None] | None = None,
        *,
        env: str | None = None,
        configmap: str | None = None,
        namespace: str | None = None,
        reload_delay: float = 0.0,
        interval: float = 1.0,
        start: bool = True,
    ) -> None:
        if not (math.isfinite(reload_delay) and reload_delay >= 0):
            raise ValueError("reload_delay must be a finite number >= 0")
        if not (math.isfinite(interval) and interval > 0):
            raise ValueError("interval must be a finite number > 0")
        self.path = os.fspath(path)
        if not isinstance(self.path, str):
            raise TypeError(
                f"`path` must be a str or an os.PathLike of one, not {type(self.path).__name__}"
            )
        try:
            os.fsencode(self.path)
        except UnicodeEncodeError as e:
            # `\udcff` is the byte 0xff of a file name (surrogateescape); `\ud800` is none.
            raise InputError(
                f"`path` is not a file name (a lone surrogate at character {e.start + 1} "
                "that is not an escaped byte)"
            ) from None
        _checked_str("env", env)
        _checked_str("configmap", configmap)
        _checked_str("namespace", namespace)
        # The name reports give: a file name that is not UTF-8 shows as U+FFFD.
        self._label = os.fsencode(self.path).decode("utf-8", "replace")
        self.policy = policy
        self.env = env
        self.configmap = configmap
        self.namespace = namespace
        self.reload_delay = reload_delay
        self.interval = interval
        name = os.path.basename(self.path)
        self._dotenv = name == ".env" or name.endswith(".env")
        # Policies that validate the config's content. One that only looks
        # for secrets (the library's secret-hygiene applies to every
        # document) does not; nor, for a ConfigMap's file, does one that
        # checks every ConfigMap's shape without reading the file in it.
        if configmap is None:
            wanted = {"schema", "embedded", "rules"}
            self._validating = {
                p["name"] for p in policy.describe() if wanted & set(p.get("checks", ()))
            }
        else:
            # Only a policy that reads this very file as an embedded file:
            # app-config reading /data/config.yaml says nothing of logging.yaml.
            key = os.path.basename(self.path).replace("~", "~0")
            self._validating = {
                p["name"] for p in policy.describe() if f"/data/{key}" in p.get("embedded", ())
            }
        self._on_apply = on_apply
        self._lock = threading.RLock()
        self._reloading = threading.Lock()
        self._config: Any = None
        self._report: Report | None = None
        self._last_error: BaseException | None = None
        self._generation = 0
        self._seen: Fingerprint | None = None
        self._due: float | None = None
        self._watcher: _Watcher | None = None
        self._finalizer: weakref.finalize | None = None
        self.reload()
        if start:
            self.start()

    # What an application reads.

    @property
    def config(self) -> Any:
        """The last config that passed validation and was applied (None before any)."""
        with self._lock:
            return self._config

    @property
    def last_error(self) -> BaseException | None:
        """Why the newest version was not applied; None once one is."""
        with self._lock:
            return self._last_error

    @property
    def report(self) -> Report | None:
        """The report of the newest version looked at."""
        with self._lock:
            return self._report

    @property
    def generation(self) -> int:
        """How many versions have been applied."""
        with self._lock:
            return self._generation

    @property
    def ready(self) -> bool:
        """A valid config has been applied."""
        return self.config is not None

    @property
    def watching(self) -> bool:
        """The watcher thread is running (between `start()` and `close()`)."""
        with self._lock:
            return self._watcher is not None and self._watcher.thread.is_alive()

    @property
    def reload_pending(self) -> bool:
        with self._lock:
            return self._due is not None

    def status(self) -> dict[str, Any]:
        """For health endpoints: ready, generation, last error, pending reload."""
        with self._lock:
            error = self._last_error
            return {
                "path": self.path,
                "ready": self._config is not None,
                "generation": self._generation,
                "reload_pending": self._due is not None,
                "last_error": None if error is None else str(error),
            }

    # Watching.

    def start(self) -> None:
        """Starts polling in a daemon thread (done by the constructor unless
        `start=False`; again after `close()`)."""
        with self._lock:
            if self._watcher is not None:
                return
            watcher = _Watcher(self)
            # Stops the thread when the guard is collected, without waiting:
            # that can happen on any thread, the watcher's own included.
            self._finalizer = weakref.finalize(self, watcher.stop, 0)
            self._finalizer.atexit = False  # `_stop_watchers_at_exit` does it
            self._watcher = watcher
            watcher.start()

    def close(self) -> None:
        """Stops the watcher thread, waiting for a poll under way. Can be
        called again; the guard still answers, and `poll()`/`reload()` by hand."""
        with self._lock:
            watcher, self._watcher = self._watcher, None
            finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer.detach()
        if watcher is not None:
            watcher.stop()

    def stop(self) -> None:
        """The same as `close()`."""
        self.close()

    def __enter__(self) -> ConfigGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(self) -> bool:
        """One polling step: notices a change, and reloads once its delay is
        over. Returns True when a new version was applied."""
        now = time.monotonic()
        with self._lock:
            if self._due is None and self._fingerprint() != self._seen:
                self._due = now + self.reload_delay
                if self.reload_delay:
                    log.info("%s changed; reloading in %.1fs", self.path, self.reload_delay)
            if self._due is None or now < self._due:
                return False
            self._due = None
        return self.reload()

    def _fingerprint(self) -> Fingerprint:
        try:
            st = os.stat(self.path)
            return (os.path.realpath(self.path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError as e:
            return ("unreadable", e.errno)

    # Loading.

    def reload(self) -> bool:
        """Reads, validates and (when valid) applies the current version now.
        Returns True when it was applied."""
        # One reload at a time; `_lock` is held only to read or set the state,
        # so `status()` and `config` answer while `on_apply` runs.
        with self._reloading:
            with self._lock:
                # Taken before reading: a change while reading is seen next poll.
                self._seen = self._fingerprint()
            try:
                with open(self.path, "rb") as f:
                    data = f.read()
            except OSError as e:
                return self._reject(
                    InputError(f"{self.path}: cannot read: {e.strerror}", file=self.path)
                )
            try:
                report = self.policy.validate(self._checked_form(data), env=self.env, file=self._label)
                with self._lock:
                    self._report = report
                report.raise_for_errors()
                documents = parse(data.decode("utf-8"), self._label)
            except AssayError as e:
                return self._reject(e)
            except UnicodeDecodeError as e:
                return self._reject(InputError(f"{self.path}: not UTF-8: {e.reason}", file=self.path))
            if not documents:
                return self._reject(InputError(f"{self.path}: holds no document", file=self.path))
            if not any(r.policy in self._validating for r in report.results):
                # Fail closed: a file no policy validated is not known to be valid.
                return self._reject(InputError(
                    f"{self.path}: no policy validating its content applies to it, "
                    "so it is not applied",
                    file=self.path,
                    hint="name the ConfigMap it is mounted from (configmap=...) "
                    "or give a policy that matches the file itself",
                ))
            if self._dotenv:
                # Checked as the ConfigMap kustomize makes of it: apply its variables.
                config = documents[0]["data"]
            else:
                config = documents[0] if len(documents) == 1 else documents
            if self._on_apply is not None:
                try:
                    self._on_apply(config)
                except Exception as e:
                    log.error("%s: on_apply failed; keeping the previous config: %r", self.path, e)
                    return self._reject(e, logged=True)
            with self._lock:
                self._config = config
                self._last_error = None
                self._generation += 1
                generation = self._generation
            log.info("%s: applied version %d (%s)", self.path, generation, report.verdict)
            return True

    def _checked_form(self, data: bytes) -> Any:
        """What the policy checks: the file, or the ConfigMap holding it."""
        if self.configmap is None:
            return data
        metadata = {"name": self.configmap}
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        key = os.path.basename(self.path)
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata,
                "data": {key: data.decode("utf-8")}}

    def _reject(self, error: BaseException, logged: bool = False) -> bool:
        with self._lock:
            self._last_error = error
            had_config = self._config is not None
        if not logged:
            kept = "keeping the previous config" if had_config else "no config yet"
            log.warning("%s: not applied, %s: %s", self.path, kept, error)
        return False


__all__ = ["ConfigGuard"]
