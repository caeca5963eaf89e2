"""ConfigGuard with real files: Kubernetes' `..data` symlink swap, in-place
writes, deletions, a reload delay. Waits are bounded polls, not sleeps that
assume a speed."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import assay
from conftest import REPO

POLICY_YAML = """\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: app-config}
spec:
  schema:
    jsonSchema:
      type: object
      required: [log_level, database]
      properties:
        log_level: {enum: [debug, info, warn, error]}
        database:
          type: object
          properties:
            pool_size: {type: integer, minimum: 1, maximum: 100}
  rules:
    - name: pool-floor-in-production
      expr: object.database.pool_size >= 5
      environments: [production]
      path: /database/pool_size
"""
POLICY = assay.Policy.from_yaml(POLICY_YAML, file="app-config.yaml")

GOOD = "log_level: info\ndatabase:\n  pool_size: 10\n"
GOOD_2 = "log_level: debug\ndatabase:\n  pool_size: 20\n"
BAD = "log_level: verbose\ndatabase:\n  pool_size: 10\n"


class ConfigMapVolume:
    """A directory laid out as the kubelet lays out a ConfigMap volume:
    `config.yaml -> ..data/config.yaml`, `..data -> ..<timestamp>`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions = 0

    def publish(self, text: str) -> None:
        self.versions += 1
        version = self.root / f"..2025_11_23_{self.versions:04d}"
        version.mkdir()
        (version / "config.yaml").write_text(text)
        tmp = self.root / "..data_tmp"
        os.symlink(version.name, tmp)
        old = os.path.realpath(self.root / "..data") if (self.root / "..data").exists() else None
        os.rename(tmp, self.root / "..data")  # the atomic swap
        if not (self.root / "config.yaml").is_symlink():
            os.symlink("..data/config.yaml", self.root / "config.yaml")
        if old:
            for f in Path(old).iterdir():
                f.unlink()
            Path(old).rmdir()

    @property
    def path(self) -> Path:
        return self.root / "config.yaml"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def volume(tmp_path: Path) -> ConfigMapVolume:
    v = ConfigMapVolume(tmp_path)
    v.publish(GOOD)
    return v


def test_symlink_swaps_apply_good_versions_and_keep_the_last_good(volume: ConfigMapVolume) -> None:
    applied: list[Any] = []
    with assay.ConfigGuard(volume.path, POLICY, applied.append, interval=0.02) as guard:
        assert applied == [{"log_level": "info", "database": {"pool_size": 10}}]
        assert (guard.ready, guard.generation, guard.last_error) == (True, 1, None)

        volume.publish(GOOD_2)
        wait_for(lambda: guard.generation == 2)
        assert applied[-1]["log_level"] == "debug" and guard.config == applied[-1]

        volume.publish(BAD)
        wait_for(lambda: guard.last_error is not None)
        err = guard.last_error
        assert isinstance(err, assay.ValidationError)
        assert (err.rule, err.line, err.column, err.file) == ("schema", 1, 12, str(volume.path))
        assert guard.config == applied[-1] and len(applied) == 2  # not applied, last good kept
        status = guard.status()
        assert status["ready"] and status["generation"] == 2 and "verbose" in status["last_error"]
        assert guard.report is not None and guard.report.verdict == "fail"

        volume.publish(GOOD)
        wait_for(lambda: guard.generation == 3)
        assert guard.last_error is None and guard.config["log_level"] == "info"
    assert len(applied) == 3


def test_env_selects_rules(volume: ConfigMapVolume) -> None:
    volume.publish("log_level: info\ndatabase:\n  pool_size: 2\n")
    assert assay.ConfigGuard(volume.path, POLICY, start=False).ready
    guard = assay.ConfigGuard(volume.path, POLICY, env="production", start=False)
    assert not guard.ready and guard.last_error.rule == "pool-floor-in-production"


def test_an_invalid_first_version_applies_nothing(volume: ConfigMapVolume) -> None:
    volume.publish("log_level: [\n")
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, POLICY, applied.append, start=False)
    assert (guard.ready, guard.config, applied) == (False, None, [])
    assert isinstance(guard.last_error, assay.ValidationError) and guard.last_error.rule == "parse"
    volume.publish(GOOD)
    assert guard.poll() is True and applied == [guard.config]


def test_a_file_no_policy_applies_to_is_not_applied(volume: ConfigMapVolume) -> None:
    # Seed 003's app-config policy matches the ConfigMap, not the mounted file.
    policy = assay.load(REPO / "policies" / "app-config.yaml")
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, policy, applied.append, start=False)
    assert (guard.ready, applied) == (False, [])
    err = guard.last_error
    assert isinstance(err, assay.InputError) and "no policy validating" in str(err)
    assert "configmap=" in (err.hint or "")


def test_the_file_is_checked_as_the_configmap_it_is_mounted_from(volume: ConfigMapVolume) -> None:
    # Seed 003's policy: the ConfigMap's embedded config.yaml, pool size per environment.
    library = assay.load(REPO / "policies")
    good = "log_level: info\ndatabase:\n  pool_size: 40\nfeature_flags: {beta: true}\n"
    volume.publish(good)
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, library, applied.append, env="production",
                              configmap="app-config", start=False)
    assert guard.ready and applied == [guard.config] and guard.config["database"]["pool_size"] == 40
    assert guard.report is not None and guard.report.summary.checked == 1
    volume.publish(good.replace("pool_size: 40", "pool_size: 80"))  # over production's 50
    assert guard.poll() is False and guard.config["database"]["pool_size"] == 40
    assert isinstance(guard.last_error, assay.ValidationError)
    assert guard.last_error.rule == "pool-size-for-environment"
    volume.publish("log_level: verbose\ndatabase:\n  pool_size: 100000\n")
    assert guard.poll() is False and len(applied) == 1
    policy = assay.load(REPO / "policies" / "app-config.yaml")
    other = assay.ConfigGuard(volume.path, policy, configmap="not-app-config", start=False)
    assert not other.ready and "no policy validating" in str(other.last_error)


def test_a_policy_that_only_looks_for_secrets_does_not_make_a_config_valid(
    volume: ConfigMapVolume,
) -> None:
    # The library's secret-hygiene applies to every document: with a ConfigMap
    # name app-config does not match, it was the only policy, and seed 003's
    # outage config (pool_size 0, an unknown log level) was applied.
    volume.publish("log_level: invalid_value\ndatabase:\n  pool_size: 0\nfeature_flags: {}\n")
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, assay.Policy.defaults(), applied.append,
                              configmap="payments-config", start=False)
    assert (guard.ready, applied) == (False, [])
    assert "no policy validating" in str(guard.last_error)
    # Seed 003's canary ConfigMap is app-config-canary: app-config covers it.
    canary = assay.ConfigGuard(volume.path, assay.Policy.defaults(), applied.append,
                               configmap="app-config-canary", start=False)
    assert (canary.ready, applied) == (False, [])
    assert isinstance(canary.last_error, assay.ValidationError)


def test_status_answers_while_on_apply_runs(volume: ConfigMapVolume) -> None:
    # A readiness probe must not wait on a slow apply (it used to hold the lock).
    entered, release = threading.Event(), threading.Event()

    def slow_apply(config: Any) -> None:
        if config["log_level"] == "debug":
            entered.set()
            release.wait(10)

    guard = assay.ConfigGuard(volume.path, POLICY, slow_apply, start=False)
    volume.publish(GOOD_2)
    worker = threading.Thread(target=guard.reload)
    worker.start()
    assert entered.wait(10)
    started = time.monotonic()
    status = guard.status()
    assert time.monotonic() - started < 1.0
    assert (status["generation"], guard.config["log_level"]) == (1, "info")
    release.set()
    worker.join(10)
    assert guard.generation == 2 and guard.config["log_level"] == "debug"


def test_in_place_writes_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    guard = assay.ConfigGuard(path, POLICY, start=False)
    path.write_text(GOOD_2 + "# a longer file\n")
    assert guard.poll() is True and guard.config["log_level"] == "debug"
    assert guard.poll() is False  # nothing changed
    path.unlink()
    assert guard.poll() is False
    assert isinstance(guard.last_error, assay.InputError) and "cannot read" in str(guard.last_error)
    assert guard.config["log_level"] == "debug"
    path.write_text(GOOD)
    assert guard.poll() is True and guard.last_error is None


def test_on_apply_failure_keeps_the_previous_config(volume: ConfigMapVolume) -> None:
    calls: list[Any] = []

    def apply(config: Any) -> None:
        calls.append(config)
        if config["log_level"] == "debug":
            raise RuntimeError("database refused the new pool")

    guard = assay.ConfigGuard(volume.path, POLICY, apply, start=False)
    volume.publish(GOOD_2)
    assert guard.poll() is False
    assert isinstance(guard.last_error, RuntimeError) and guard.config["log_level"] == "info"
    assert len(calls) == 2 and guard.generation == 1


def test_reload_delay_staggers_and_reads_the_newest_version(volume: ConfigMapVolume) -> None:
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, POLICY, applied.append, reload_delay=0.3, start=False)
    volume.publish(BAD)
    started = time.monotonic()
    assert guard.poll() is False and guard.reload_pending
    volume.publish(GOOD_2)  # arrives during the delay
    while not guard.poll():
        assert time.monotonic() - started < 10
        time.sleep(0.01)
    assert time.monotonic() - started >= 0.3
    assert not guard.reload_pending
    # the bad version was never looked at: only the newest counts
    assert [c["log_level"] for c in applied] == ["info", "debug"] and guard.last_error is None


def test_the_watcher_thread_stops(volume: ConfigMapVolume) -> None:
    guard = assay.ConfigGuard(volume.path, POLICY, interval=0.01)
    guard.stop()
    assert not any(t.name.startswith("assay-guard:") and t.is_alive() for t in threading.enumerate()
                   if str(volume.path) in t.name)
    with pytest.raises(ValueError):
        assay.ConfigGuard(volume.path, POLICY, interval=0)


def test_a_multi_document_file_is_a_list(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD + "---\n" + GOOD_2)
    guard = assay.ConfigGuard(path, POLICY, start=False)
    assert [c["log_level"] for c in guard.config] == ["info", "debug"]


def test_a_configmap_policy_must_read_this_very_file(tmp_path: Path) -> None:
    # The policy reads /data/config.yaml: logging.yaml of the same ConfigMap is unread.
    policy = assay.Policy.from_yaml("""\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: app}
spec:
  match: {kinds: [ConfigMap], names: [app-config]}
  embedded:
    - {path: /data/config.yaml, format: yaml, jsonSchema: {properties: {log_level: {enum: [info]}}}}
""")
    assert policy.describe()[0]["embedded"] == ["/data/config.yaml"]
    path = tmp_path / "logging.yaml"
    path.write_text("log_level: TOTALLY-INVALID\n")
    applied: list[Any] = []
    guard = assay.ConfigGuard(path, policy, applied.append, configmap="app-config", start=False)
    assert (guard.ready, applied) == (False, [])
    assert "no policy validating" in str(guard.last_error)


def test_a_configmap_file_with_a_second_document_is_not_applied(volume: ConfigMapVolume) -> None:
    volume.publish("log_level: info\ndatabase: {pool_size: 5}\nfeature_flags: {}\n"
                   "---\nlog_level: nope\ndatabase: {pool_size: 0}\n")
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, assay.Policy.defaults(), applied.append,
                              configmap="app-config", start=False)
    assert (guard.ready, applied) == (False, [])
    assert "more than one YAML document" in str(guard.last_error)


def test_a_dotenv_file_applies_the_variables_that_were_checked(tmp_path: Path) -> None:
    policy = assay.Policy.from_yaml("""\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: app-env}
spec:
  match: {kinds: [ConfigMap], names: [app]}
  rules:
    - {name: not-trace, expr: "object.data.log_level != 'trace'", path: /data/log_level}
""")
    path = tmp_path / "app.env"
    path.write_text("log_level=trace\nOTHER=1\n")
    applied: list[Any] = []
    guard = assay.ConfigGuard(path, policy, applied.append, start=False)
    assert (guard.ready, applied) == (False, [])
    assert isinstance(guard.last_error, assay.ValidationError)
    path.write_text("log_level=info\nOTHER=1\n")
    assert guard.reload() and applied == [{"log_level": "info", "OTHER": "1"}]
    # As the CLI and validate() read it.
    assert assay.parse("A=1\n", "x/app.env")[0]["data"] == {"A": "1"}


@pytest.mark.parametrize("interval", [float("nan"), float("inf"), -1.0, 0.0])
def test_an_interval_that_cannot_be_waited_is_refused(volume: ConfigMapVolume, interval: float) -> None:
    with pytest.raises(ValueError):
        assay.ConfigGuard(volume.path, POLICY, interval=interval)
    with pytest.raises(ValueError):
        assay.ConfigGuard(volume.path, POLICY, reload_delay=interval if interval != 0 else -0.5)



def test_a_file_name_that_is_not_utf8_is_guarded(tmp_path: Path) -> None:
    path = tmp_path / os.fsdecode(b"c\xff.yaml")
    path.write_text(GOOD)
    guard = assay.ConfigGuard(path, POLICY, start=False)
    assert guard.ready and guard.config["database"]["pool_size"] == 10


def watchers(path: Path) -> list[threading.Thread]:
    """The live watcher threads of guards of `path`."""
    return [t for t in threading.enumerate() if t.name == f"assay-guard:{path}" and t.is_alive()]


def test_a_dropped_guard_stops_watching(volume: ConfigMapVolume) -> None:
    # The thread ran the guard's bound method: it held the guard, which could
    # never be collected, and polled (and applied) forever.
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, POLICY, applied.append, interval=0.01)
    assert guard.watching and len(watchers(volume.path)) == 1
    volume.publish(GOOD_2)
    wait_for(lambda: guard.generation == 2)  # the watcher has held the guard, and let go
    del guard
    gc.collect()
    wait_for(lambda: not watchers(volume.path), timeout=5)
    volume.publish(GOOD)
    time.sleep(0.2)  # twenty intervals
    assert [c["log_level"] for c in applied] == ["info", "debug"]


def test_a_guard_in_a_reference_cycle_stops_watching_when_collected(
    volume: ConfigMapVolume,
) -> None:
    applied: list[Any] = []

    def make() -> None:
        holder: dict[str, Any] = {}

        def on_apply(config: Any) -> None:
            applied.append((len(holder), config))

        # guard -> on_apply -> holder -> guard: only the cycle collector frees it.
        holder["guard"] = assay.ConfigGuard(volume.path, POLICY, on_apply, interval=0.01)

    make()
    assert len(watchers(volume.path)) == 1
    gc.collect()
    wait_for(lambda: not watchers(volume.path), timeout=5)
    volume.publish(GOOD_2)
    time.sleep(0.2)
    assert len(applied) == 1


def test_close_stops_watching_and_can_be_called_again(volume: ConfigMapVolume) -> None:
    applied: list[Any] = []
    guard = assay.ConfigGuard(volume.path, POLICY, applied.append, interval=0.01)
    guard.close()
    assert not guard.watching and not watchers(volume.path)
    guard.close()
    volume.publish(GOOD_2)
    time.sleep(0.2)
    assert len(applied) == 1 and guard.generation == 1
    assert guard.poll() is True  # polling by hand still works
    with assay.ConfigGuard(volume.path, POLICY, interval=0.01) as other:
        assert other.watching
    assert not other.watching and not watchers(volume.path)
    unstarted = assay.ConfigGuard(volume.path, POLICY, start=False)
    assert not unstarted.watching
    unstarted.close()


EXITING = """\
import atexit, sys, threading, time

def report():  # registered first, so it runs after assay's own exit handler
    names = [t.name for t in threading.enumerate() if t.name.startswith("assay-guard:")]
    print("watching at exit:", names, flush=True)

atexit.register(report)
import assay

policy = assay.Policy.from_yaml(sys.argv[1])
plain, slow = sys.argv[2], sys.argv[3]
guard = assay.ConfigGuard(plain, policy, interval=0.01)  # never closed
entered = threading.Event()

def slow_apply(config):
    if config["log_level"] == "debug":
        entered.set()
        time.sleep(60)

busy = assay.ConfigGuard(slow, policy, slow_apply, interval=0.01)  # in on_apply at exit
with open(slow, "w") as f:
    f.write({good_2!r})
assert entered.wait(30)
print("exiting", flush=True)
"""


def test_a_process_that_never_closes_its_guards_exits_promptly(tmp_path: Path) -> None:
    plain, slow = tmp_path / "plain.yaml", tmp_path / "slow.yaml"
    plain.write_text(GOOD)
    slow.write_text(GOOD)
    script = EXITING.format(good_2=GOOD_2 + "# longer\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script, POLICY_YAML, str(plain), str(slow)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "exiting" in done.stdout and "Traceback" not in done.stderr, done.stderr
    # The watcher of the guard left open was stopped at exit, not killed mid-poll;
    # the one stuck in on_apply did not hold the exit up for its 60 seconds.
    assert f"assay-guard:{plain}" not in done.stdout, done.stdout
    assert time.monotonic() - started < 30
