"""The RQ worker class to run: `rq worker -w backend.jobs.worker.AppWorker <queue>`.

RQ forks a child per job. Building the Flask app once in the parent, before any fork, saves
every job the cost of importing the backend and creating the app (about a second). The parent
opens no database connection, so the children share none.

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

from rq import Worker
from rq.defaults import DEFAULT_MAINTENANCE_TASK_INTERVAL

from .app import worker_app
from .sweeper import queue_sweep

log = logging.getLogger("backend.jobs")


class AppWorker(Worker):
    def __init__(self, *args, **kwargs):
        self.flask_app = worker_app()
        # `rq worker` always passes its default; an operator's --maintenance-interval wins.
        if kwargs.get("maintenance_interval", DEFAULT_MAINTENANCE_TASK_INTERVAL) == DEFAULT_MAINTENANCE_TASK_INTERVAL:
            kwargs["maintenance_interval"] = (
                self.flask_app.config["JOB_SWEEP_SECONDS"] or DEFAULT_MAINTENANCE_TASK_INTERVAL
            )
        super().__init__(*args, **kwargs)

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
