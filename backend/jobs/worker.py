"""The RQ worker class to run: `rq worker -w backend.jobs.worker.AppWorker <queue>`.

RQ forks a child (a work horse) per job. Building the Flask app once in the parent, before any
fork, saves every job the cost of importing the backend and creating the app (about a second),
and configuring SQLAlchemy's mappers there saves each child ~50 ms of CPU (a child configured
them again on its first query). A fork still costs a job ~40 ms of CPU (copied pages, a new
database connection, every statement compiled again): more than a light job's own work. So a
job declared `@job(light=True)` (the price rollup and the alert checks a sync push asks for, the
sweep) runs in the worker process itself, as RQ's SimpleWorker would, reusing its connections
and its compiled statements; timeouts still apply (SIGALRM in the worker), and a worker that
dies mid-job leaves the attempt to the sweeper as a dead horse would (no heartbeat). Other jobs
(imports, photos: long or memory-hungry) keep their work horse, which first drops the database
connections it inherited from the parent (`engine.dispose(close=False)`), so parent and child
never share one.

The worker also keeps the outbox swept: RQ's maintenance step runs when the worker starts and
then every `JOB_SWEEP_SECONDS` (RQ's `maintenance_interval`; the blocking wait for a job is
shortened to match), and it queues a sweep job (`sweeper.sweep_job`) unless one is already
queued. No separate scheduler process is needed.

Every worker also offers to run RQ's scheduler (`--with-scheduler` is implied): the delayed jobs
of the outbox (`after_commit(..., delay=)`, the price rollup) wait in RQ's scheduled registry, and
the one worker holding the queue's scheduler lock moves them to the queue when due (checked
every second). When that worker dies, another takes the lock over at its next maintenance step
(the lock lasts 61 s); the sweeper queues a delayed job itself if none does.
"""

import logging

from rq import SimpleWorker, Worker
from rq.defaults import DEFAULT_MAINTENANCE_TASK_INTERVAL
from sqlalchemy.orm import configure_mappers

from ..extensions import db
from .app import worker_app
from .sweeper import queue_sweep

log = logging.getLogger("backend.jobs")


class AppWorker(Worker):
    _in_process = False  # running a light job itself (see execute_job)

    def __init__(self, *args, **kwargs):
        self.flask_app = worker_app()
        # `rq worker` always passes its default; an operator's --maintenance-interval wins.
        if kwargs.get("maintenance_interval", DEFAULT_MAINTENANCE_TASK_INTERVAL) == DEFAULT_MAINTENANCE_TASK_INTERVAL:
            kwargs["maintenance_interval"] = (
                self.flask_app.config["JOB_SWEEP_SECONDS"] or DEFAULT_MAINTENANCE_TASK_INTERVAL
            )
        super().__init__(*args, **kwargs)
        configure_mappers()  # once here, not in every work horse

    def execute_job(self, job, queue):
        if not runs_in_worker(job):
            return super().execute_job(job, queue)
        self._in_process = True
        try:
            return SimpleWorker.execute_job(self, job, queue)
        finally:
            self._in_process = False

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        if self._in_process:  # nobody beats for the worker while it runs the job itself
            return SimpleWorker.get_heartbeat_ttl(self, job, working_time)
        return super().get_heartbeat_ttl(job, working_time)

    def main_work_horse(self, job, queue):
        # The parent's pooled connections (light jobs run there) are not this child's to use.
        with self.flask_app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        return super().main_work_horse(job, queue)

    def work(self, *args, **kwargs):
        kwargs["with_scheduler"] = True  # the outbox's delayed jobs need one (see above)
        return super().work(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(self.worker_ttl - 15, self.maintenance_interval))

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        if not self.flask_app.config["JOB_SWEEP_SECONDS"]:
            return
        try:
            with self.flask_app.app_context():
                queue_sweep()
        except Exception:  # Redis trouble: the worker's own loop reports and retries
            log.exception("could not queue a job sweep")


def runs_in_worker(job) -> bool:
    """Does the worker run this RQ job itself (a `@job(light=True)`, or the sweep)?"""
    try:
        return bool(getattr(job.func, "light", False))
    except Exception:  # a function that no longer imports: let a work horse fail on it
        return False
