"""The thin layer between the orchestrator (tooling.deploy) and Pulumi: one process per stack, Automation API inside.

Parent side: `ProcessRunner` (a `StackRunner`) starts `python -m tooling deploy-one …` for a stack in its own process
group, its output going to the stack's log file, and reads back a small result file. Cancelling sends that group
SIGINT: the Pulumi CLI in it stops gracefully (in-flight operations finish, state is saved), like Ctrl-C on `pulumi up`;
asked a second time it sends SIGTERM to `deploy-one`, which then calls the Automation API's `stack.cancel()`.

Child side: `deploy_one` selects the stack (serially across processes: `create_or_select_stack` rewrites the shared
workspace file, pulumi/pulumi#8186) with the stack's own credentials and runs preview, up, refresh or destroy.

Why processes: `Stack.up()` blocks, and Python programs in one process share the engine's global state
(pulumi/pulumi#6052); every operation shells out to the Pulumi CLI anyway (extensions-facts §6).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tooling.deploy import Credentials, DeployStack, Outcome

# The oldest CLI this tooling is used with: the same floor as the `pulumi` SDK in requirements.txt (a CLI older than
# the SDK misses engine features the SDK sends). The Automation API's own floor (3.1.0) is far older.
MIN_CLI_VERSION = (3, 150, 0)
INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`), "
    "open a new shell and check `pulumi version`; https://www.pulumi.com/docs/install/"
)
REFRESH_KINDS = ("owner", "recovery")  # stacks whose live state moves outside Pulumi (canary weights)
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


class CliProblem(Exception):
    """The Pulumi CLI is missing, too old, or doesn't answer: one line with what to do."""


def check_cli(command: str = "pulumi", env: Mapping[str, str] | None = None) -> str:
    """The CLI's version, or CliProblem saying how to install or update it."""
    found = shutil.which(command, path=(env or os.environ).get("PATH"))
    if found is None:
        raise CliProblem(f"the Pulumi CLI is not installed (no `{command}` on PATH); {INSTALL_HINT}")
    try:
        done = subprocess.run(
            [found, "version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**(env or os.environ), "PULUMI_SKIP_UPDATE_CHECK": "true"},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CliProblem(f"`{found} version` did not answer ({error}); {INSTALL_HINT}") from None
    text = done.stdout.strip()
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text)
    if done.returncode != 0 or match is None:
        raise CliProblem(f"`{found} version` printed {text or done.stderr.strip()!r}, not a version; {INSTALL_HINT}")
    version = tuple(int(part) for part in match.groups())
    if version < MIN_CLI_VERSION:
        wanted = ".".join(map(str, MIN_CLI_VERSION))
        raise CliProblem(
            f"the Pulumi CLI at {found} is {text}, older than {wanted} (this tooling's oldest); update: {INSTALL_HINT}"
        )
    return text


def refresh_on_up(stack: DeployStack, policy: str) -> bool:
    """`up` refreshes first for owner and recovery stacks (the canary rollback moves listener weights outside
    Pulumi); tenants hold nothing changed behind Pulumi's back. `policy`: auto, always or never."""
    return policy == "always" or (policy == "auto" and stack.kind in REFRESH_KINDS)


class ProcessRunner:
    """A StackRunner that runs each stack in its own `python -m tooling deploy-one` process."""

    def __init__(
        self,
        root: Path,
        *,
        refresh: str = "auto",
        org: str | None = None,
        ambient_credentials: bool = False,
        role_seconds: int = 3600,
        python: str = sys.executable,
    ):
        self.root, self.refresh, self.org = root, refresh, org
        self.ambient, self.role_seconds, self.python = ambient_credentials, role_seconds, python
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def command(self, stack: DeployStack, operation: str, result: Path) -> list[str]:
        command = [self.python, "-m", "tooling", "deploy-one", "--root", str(self.root), "--stack", stack.name]
        command += ["--operation", operation, "--result", str(result), "--role-seconds", str(self.role_seconds)]
        if operation in ("up", "preview") and refresh_on_up(stack, self.refresh):
            command.append("--refresh")
        if self.org:
            command += ["--org", self.org]
        if self.ambient:
            command.append("--ambient-credentials")
        return command

    def run(self, stack: DeployStack, operation: str, log: Path) -> Outcome:
        result = log.with_suffix(".result.json")
        result.unlink(missing_ok=True)
        with open(log, "wb") as out:
            process = subprocess.Popen(
                self.command(stack, operation, result),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.root,
                start_new_session=True,  # Ctrl-C in the terminal reaches the orchestrator only; it forwards it
            )
            with self._lock:
                self._processes[stack.name] = process
            code = process.wait()
        with self._lock:
            self._processes.pop(stack.name, None)
        try:
            data = json.loads(result.read_text())
            return Outcome(
                ok=bool(data["ok"]),
                cancelled=bool(data.get("cancelled")),
                detail=str(data.get("detail", "")),
                changes={str(k): int(v) for k, v in (data.get("changes") or {}).items()},
            )
        except (OSError, ValueError, KeyError, TypeError):
            return Outcome(ok=False, cancelled=code in (130, -signal.SIGINT), detail=f"exit {code}; see {log}")

    def cancel(self, stack: DeployStack, force: bool = False) -> None:
        with self._lock:
            process = self._processes.get(stack.name)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            if force:
                process.send_signal(signal.SIGTERM)
            else:
                os.killpg(process.pid, signal.SIGINT)


# -- child side: one stack, through the Automation API --------------------------------------------------------------


def stack_environment(credentials: Credentials | None, stack: str, role_seconds: int, ambient: bool) -> dict[str, str]:
    """The variables the stack's workspace runs with: its AWS profile, or credentials of its role, assumed here.
    With `ambient` (CI, after OIDC) or no `deploy` config, the process's own credentials stay as they are."""
    if ambient or credentials is None:
        return {}
    if credentials.aws_profile:
        for name in CREDENTIAL_VARIABLES:  # static keys in the environment would win over the profile
            os.environ.pop(name, None)
        return {"AWS_PROFILE": credentials.aws_profile}
    import boto3  # only when a role is to be assumed

    assumed = boto3.client("sts").assume_role(
        RoleArn=credentials.role_arn, RoleSessionName=f"lattice-tenancy-{stack}"[:64], DurationSeconds=role_seconds
    )["Credentials"]
    os.environ.pop("AWS_PROFILE", None)
    return {
        "AWS_ACCESS_KEY_ID": assumed["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": assumed["SecretAccessKey"],
        "AWS_SESSION_TOKEN": assumed["SessionToken"],
    }


@contextlib.contextmanager
def _one_at_a_time(root: Path) -> Iterator[None]:
    """create/select rewrites the shared workspace file: one process at a time (pulumi/pulumi#8186)."""
    lock = root / ".deploy" / "select.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _changes(summary: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (summary or {}).items()}


def deploy_one(
    root: Path,
    stack: DeployStack,
    operation: str,
    *,
    refresh: bool,
    org: str | None,
    ambient: bool,
    role_seconds: int,
) -> dict[str, Any]:
    """Run one operation on one stack; the result the parent reads. Blocks until the CLI has finished."""
    from pulumi import automation as auto

    check_cli()
    env = stack_environment(stack.credentials, stack.name, role_seconds, ambient)
    print(f"{operation} {stack.name} ({stack.kind}) in {stack.region}" + (" with refresh" if refresh else ""))
    with _one_at_a_time(root):
        workspace_stack = auto.create_or_select_stack(
            stack_name=f"{org}/{stack.name}" if org else stack.name,
            work_dir=str(root),
            opts=auto.LocalWorkspaceOptions(env_vars=env),
        )
    cancelled = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        # The CLI, in the same process group, got it too and stops gracefully; wait for it rather than leave it.
        cancelled.set()
        print("cancel requested: the Pulumi CLI finishes in-flight operations and saves the state", flush=True)

    def on_sigterm(signum: int, frame: Any) -> None:
        cancelled.set()
        print("cancel requested again: pulumi cancel", flush=True)
        with contextlib.suppress(Exception):
            workspace_stack.cancel()

    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigterm)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        if operation == "preview":
            changes = _changes(workspace_stack.preview(refresh=refresh, on_output=out).change_summary)
        elif operation == "up":
            changes = _changes(workspace_stack.up(refresh=refresh, on_output=out).summary.resource_changes)
        elif operation == "refresh":
            changes = _changes(workspace_stack.refresh(on_output=out).summary.resource_changes)
        else:
            changes = _changes(workspace_stack.destroy(on_output=out).summary.resource_changes)
    except auto.CommandError as error:
        lines = [line for line in str(error).splitlines() if line.strip()]
        detail = "cancelled" if cancelled.is_set() else (lines[-1].strip() if lines else "the CLI failed")
        return {"ok": False, "cancelled": cancelled.is_set(), "detail": detail[:300]}
    shown = ", ".join(f"{n} {k}" for k, n in sorted(changes.items()) if k != "same" and n)
    return {"ok": True, "cancelled": False, "detail": shown or "no changes", "changes": changes}


def write_result(path: Path, result: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, sort_keys=True))
