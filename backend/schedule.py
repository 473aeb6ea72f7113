"""The schedule for RQ's built-in cron: `rq cron --url "$REDIS_URL" backend.schedule`.

It builds the app (so every domain has registered its housekeeping tasks, `jobs.periodic`)
and asks RQ to enqueue `run_periodic(name)` for each task every `HOUSEKEEPING_SECONDS`, on the
app's queue, where the `rq worker` processes run it. Run one such process per deployment
(`make serve` does); a second one would only find the tasks already claimed.
"""

from rq import cron

from . import create_app
from .jobs.periodic import run_periodic, tasks

app = create_app()

for _task in tasks():
    cron.register(
        run_periodic,
        app.config["RQ_QUEUE"],
        args=(_task.name,),
        interval=app.config["HOUSEKEEPING_SECONDS"],
        job_timeout=app.config["JOB_TIMEOUT_SECONDS"],
        name=f"housekeeping:{_task.name}",
    )
