"""The RQ worker class to run: `rq worker -w backend.jobs.worker.AppWorker <queue>`.

RQ forks a child per job. Building the Flask app once in the parent, before any fork, saves
every job the cost of importing the backend and creating the app (about a second). The parent
opens no database connection, so the children share none.
"""

from rq import Worker


class AppWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from . import _app_for_worker

        _app_for_worker()
