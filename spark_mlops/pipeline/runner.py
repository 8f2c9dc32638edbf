"""Scheduling an execution: dependency order, condition branches, concurrency and failure handling."""

from __future__ import annotations

import concurrent.futures as cf
import logging

from pyspark.util import inheritable_thread_target

from spark_mlops.pipeline.dag import StepGraph
from spark_mlops.pipeline.execution import ExecutionStatus, PipelineExecution, StepRecord, StepStatus
from spark_mlops.pipeline.step_runner import StepRunner, utcnow
from spark_mlops.pipeline.steps.control import ConditionStep

__all__ = ["schedule"]

log = logging.getLogger(__name__)


def _blocked(name: str, graph: StepGraph, done: dict[str, StepRecord]) -> StepStatus | None:
    """Status a step gets without running (skipped branch or upstream), or None when it should run."""
    deps = [done[d] for d in graph.upstream[name]]
    if any(r.status in (StepStatus.FAILED, StepStatus.NOT_RUN, StepStatus.WAITING) for r in deps):
        return StepStatus.NOT_RUN
    if any(r.status is StepStatus.SKIPPED for r in deps):
        return StepStatus.SKIPPED
    for dep in graph.upstream[name]:
        cond = graph.steps[dep]
        if isinstance(cond, ConditionStep):
            outcome = bool(done[dep].properties.get("outcome"))
            if name in cond.if_step_names and not outcome:
                return StepStatus.SKIPPED
            if name in cond.else_step_names and outcome:
                return StepStatus.SKIPPED
    return None


def schedule(graph: StepGraph, runner: StepRunner, done: dict[str, StepRecord], max_parallel: int) -> None:
    """Run every step of ``graph`` not already in ``done`` (succeeded steps of a resumed execution).

    Fills ``execution.steps`` and sets the execution's final status and failure reason.
    """
    execution: PipelineExecution = runner.execution
    for name, rec in done.items():
        runner.resolve_ctx.step_properties[name] = rec.properties
    failed: StepRecord | None = None
    running: dict[cf.Future[StepRecord], str] = {}
    pool = (
        cf.ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="pipeline")
        if max_parallel > 1
        else None
    )
    try:
        while True:
            progressed = False
            for name in graph.order:
                if name in done or name in running.values():
                    continue
                if not all(d in done for d in graph.upstream[name]):
                    continue
                blocked = _blocked(name, graph, done)
                if blocked is None and failed is not None:
                    blocked = StepStatus.NOT_RUN  # stop scheduling new work after a failure
                if blocked is not None:
                    rec = StepRecord(name, graph.steps[name].type_name, blocked)
                    done[name] = rec
                    if blocked is StepStatus.SKIPPED:
                        log.info("pipeline %s step %s Skipped", execution.pipeline_name, name)
                    progressed = True
                    continue
                if pool is None:
                    rec = runner.run(graph.steps[name])
                    _finish(name, rec, done, runner)
                    failed = failed or (rec if rec.status is StepStatus.FAILED else None)
                    progressed = True
                    break  # re-scan in definition order
                if len(running) < max_parallel:
                    fut = pool.submit(inheritable_thread_target(runner.spark)(runner.run), graph.steps[name])
                    running[fut] = name
                    progressed = True
            if running:
                finished, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    name = running.pop(fut)
                    rec = fut.result()
                    _finish(name, rec, done, runner)
                    failed = failed or (rec if rec.status is StepStatus.FAILED else None)
                continue
            if not progressed:
                break
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    execution.steps.update(done)
    execution.end_time = utcnow()
    if failed is not None:
        execution.status = ExecutionStatus.FAILED
        execution.failure_reason = f"step '{failed.step_name}' failed: {failed.failure_reason}"
    elif any(r.status is StepStatus.WAITING for r in done.values()):
        execution.status = ExecutionStatus.WAITING
        waiting = sorted(r.step_name for r in done.values() if r.status is StepStatus.WAITING)
        execution.failure_reason = f"waiting on callback steps {waiting}"
        execution.end_time = None
    else:
        execution.status = ExecutionStatus.SUCCEEDED
        execution.failure_reason = None


def _finish(name: str, rec: StepRecord, done: dict[str, StepRecord], runner: StepRunner) -> None:
    done[name] = rec
    if rec.status is StepStatus.SUCCEEDED:
        runner.resolve_ctx.step_properties[name] = rec.properties
