"""`python -m tooling deploy <operation>` (make deploy/preview/refresh/destroy), `deploy-one` and `workflow`.

    python -m tooling deploy up                      # every stack: owners, recovery stacks, tenants
    python -m tooling deploy destroy                 # tenants first, owners last
    python -m tooling deploy up --dry-run            # the ordered graph, then the offline plan; nothing runs
    python -m tooling deploy up --only tenant-a      # just these (repeatable); what they wait for counts as done
    python -m tooling deploy up --from tenant-c      # this stack and every one after it in the order
    python -m tooling deploy up --parallel 16        # at most 16 stacks at once (default 8)
    python -m tooling workflow [--check|--print]     # rewrite .github/workflows/deploy.yml from the graph

A rerun of the same operation resumes: stacks recorded as finished (and unchanged since) are not run again, unless
`--only`/`--from` name them or `--restart` forgets the record. The summary is printed as a table and written as
JSON to `.deploy/summary-<operation>.json`; each stack's output goes to `.deploy/logs/<operation>/<stack>.log`.
Exit status: 0 every stack finished; 1 one failed or was skipped; 2 bad input (nothing ran); 130 cancelled (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tooling import automation, deploy, plan, workflow
from tooling.progress import LiveProgress, PlainProgress
from tooling.stackfiles import StackFile, project_name, read_stack_files, reference_of

STATE_DIR = ".deploy"
DEFAULT_PARALLEL = 8


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the commands on the tooling's command line (tooling.cli)."""
    graph_flags = argparse.ArgumentParser(add_help=False)
    graph_flags.add_argument(
        "--external",
        action="append",
        default=[],
        metavar="REF",
        help="an ownerStack/primaryStack deployed elsewhere (not in this repository): <org>/<project>/<stack>",
    )
    run = commands.add_parser(
        "deploy", parents=[common, graph_flags], help="preview, up, refresh or destroy every stack in order"
    )
    run.add_argument("operation", choices=deploy.OPERATIONS)
    run.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help="stacks at once (default 8)")
    pick = run.add_mutually_exclusive_group()
    pick.add_argument("--only", action="append", metavar="STACK", help="only this stack (repeatable)")
    pick.add_argument("--from", dest="start", metavar="STACK", help="this stack and every one after it in the order")
    run.add_argument("--restart", action="store_true", help="forget what an earlier run finished; run everything")
    run.add_argument("--dry-run", action="store_true", help="show the ordered graph and run the offline plan")
    run.add_argument(
        "--refresh",
        choices=("auto", "always", "never"),
        default="auto",
        help="refresh before preview/up: auto = owner and recovery stacks (live canary weights), always, never",
    )
    run.add_argument("--org", help="the Pulumi organization to select stacks in (default: the backend's default)")
    run.add_argument(
        "--ambient-credentials",
        action="store_true",
        help="use this environment's AWS credentials (CI after OIDC) instead of each stack's deploy config",
    )
    run.add_argument("--role-seconds", type=int, default=3600, help="session length of an assumed deploy role")
    run.add_argument("--state-dir", type=Path, help="where state, logs and summaries go (default: <root>/.deploy)")
    run.add_argument("--plain", action="store_true", help="plain lines even on a terminal (the default elsewhere)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON instead of the table")

    one = commands.add_parser("deploy-one", parents=[common], help="(used by deploy) one stack, in its own process")
    one.add_argument("--stack", required=True)
    one.add_argument("--operation", required=True, choices=deploy.OPERATIONS)
    one.add_argument("--result", type=Path, required=True)
    one.add_argument("--refresh", action="store_true")
    one.add_argument("--org")
    one.add_argument("--ambient-credentials", action="store_true")
    one.add_argument("--role-seconds", type=int, default=3600)

    generated = commands.add_parser(
        "workflow", parents=[common, graph_flags], help="rewrite the CI workflow from the graph"
    )
    generated.add_argument("--check", action="store_true", help="don't write; exit 1 when it is out of date")
    generated.add_argument("--print", action="store_true", help="print it instead of writing it")
    generated.add_argument("--max-parallel", type=int, default=workflow.DEFAULT_MAX_PARALLEL)


def _graph(root: Path, external: list[str]) -> deploy.Graph:
    if not (root / "Pulumi.yaml").is_file():
        raise deploy.InputError(f"--root {root}: no Pulumi.yaml there; point --root at the project folder")
    return deploy.build_graph(read_stack_files(root), project_name(root), external)


def run(args: argparse.Namespace) -> int:
    """The commands' entry; bad input and a missing CLI are one line on stderr and exit 2, as in tooling.cli."""
    try:
        if args.command == "workflow":
            return _workflow(args)
        if args.command == "deploy-one":
            return _deploy_one(args)
        return _deploy(args)
    except (deploy.InputError, automation.CliProblem) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _workflow(args: argparse.Namespace) -> int:
    text = workflow.render(_graph(args.root, args.external), args.max_parallel)
    if args.print:
        sys.stdout.write(text)
        return 0
    if args.check:
        path = args.root / workflow.WORKFLOW_PATH
        return 0 if path.exists() and path.read_text() == text else 1
    changed = workflow.write(args.root, text)
    print(f"{workflow.WORKFLOW_PATH} " + ("updated" if changed else "already up to date"))
    return 0


def render_waves(graph: deploy.Graph, operation: str, selected: list[str], refresh: str) -> str:
    out = [f"{operation}: {len(selected)} of {len(graph.stacks)} stack(s), in waves (a wave needs only earlier ones)"]
    chosen = set(selected)
    for number, wave in enumerate(graph.waves(operation, selected), 1):
        out.append(f"  wave {number}:")
        for name in wave:
            stack = graph.stacks[name]
            waits = sorted(p for p in graph.prerequisites(name, operation) if p in chosen)
            notes = [stack.kind, stack.region, stack.credentials.describe() if stack.credentials else "ambient creds"]
            if operation in ("up", "preview") and automation.refresh_on_up(stack, refresh):
                notes.append("refresh first")
            if waits:
                notes.append("after " + ", ".join(waits))
            elif stack.reference and not stack.depends_on:
                notes.append(f"reads {stack.reference} (deployed elsewhere)")
            out.append(f"    {name}  ({'; '.join(notes)})")
    return "\n".join(out)


def _deploy(args: argparse.Namespace) -> int:
    root: Path = args.root
    graph = _graph(root, args.external)
    if args.parallel <= 0:
        raise deploy.InputError(f"--parallel {args.parallel}: must be 1 or more")
    selected = deploy.select(graph, args.operation, args.only, args.start)
    if args.dry_run:
        print(render_waves(graph, args.operation, selected, args.refresh))
        print()
        plans = plan.plan_all(root, selected)
        sys.stdout.write(plan.render(plans))
        return 1 if plan.failed(plans) else 0
    automation.check_cli()
    state_dir = args.state_dir or root / STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / ".gitignore").write_text("*\n")  # state, logs and summaries stay out of git
    state = deploy.State(state_dir, args.operation)
    if args.restart:
        state.forget()
    log_dir = state_dir / "logs" / args.operation
    runner = automation.ProcessRunner(
        root,
        refresh=args.refresh,
        org=args.org,
        ambient_credentials=args.ambient_credentials,
        role_seconds=args.role_seconds,
    )
    live = sys.stdout.isatty() and not args.plain and not args.json
    progress: LiveProgress | PlainProgress = (
        LiveProgress(graph, selected, args.operation, log_dir)
        if live
        else PlainProgress(sys.stderr if args.json else sys.stdout, args.operation, log_dir)
    )
    with progress:
        summary = deploy.run(
            graph,
            args.operation,
            runner,
            parallel=args.parallel,
            selected=selected,
            log_dir=log_dir,
            state=state,
            resume=not (args.only or args.start),
            on_event=progress,
        )
    return report(summary, state_dir, as_json=args.json)


def report(summary: deploy.Summary, state_dir: Path, as_json: bool = False) -> int:
    """Print the summary (table or JSON), write it to `<state_dir>/summary-<operation>.json`; the exit status."""
    path = state_dir / f"summary-{summary.operation}.json"
    path.write_text(summary.as_json() + "\n")
    if as_json:
        print(summary.as_json())
    else:
        print(summary.table())
        print(f"summary: {path}")
    return summary.exit_status


def _deploy_one(args: argparse.Namespace) -> int:
    files, project = read_stack_files(args.root), project_name(args.root)
    graph = deploy.build_graph(files, project, external=_all_references(files, project))
    if args.stack not in graph.stacks:
        raise deploy.InputError(f"--stack {args.stack}: no stack file Pulumi.{args.stack}.yaml in {args.root}")
    try:
        result = automation.deploy_one(
            args.root,
            graph.stacks[args.stack],
            args.operation,
            refresh=args.refresh,
            org=args.org,
            ambient=args.ambient_credentials,
            role_seconds=args.role_seconds,
        )
    except automation.CliProblem as error:
        result = {"ok": False, "cancelled": False, "detail": str(error)}
    except Exception as error:  # credentials, workspace: reported through the result and the log
        result = {"ok": False, "cancelled": False, "detail": f"{type(error).__name__}: {error}"[:300]}
    automation.write_result(args.result, result)
    print(f"{args.operation} {args.stack}: " + ("succeeded" if result["ok"] else f"failed: {result['detail']}"))
    return 0 if result["ok"] else 130 if result.get("cancelled") else 1


def _all_references(files: list[StackFile], project: str) -> list[str]:
    """deploy-one runs a stack the parent already validated: any reference may be elsewhere."""
    return [reference for f in files if (reference := reference_of(f, project))]
