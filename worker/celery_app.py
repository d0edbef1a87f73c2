"""The operator's Celery application: training jobs on a Redis queue, or in-process without one.

With a broker URL (``redis://host:6379/0``) the agent queues jobs and any number of executors,
one per device, on any machines (``worker executor --broker URL --device cuda:0``) take them
from the operator's queue; Redis is the result backend too, which carries progress back.
Without one, the same task runs eagerly inside the agent's process (see `EmbeddedExecutor`):
no service to start.

``celery -A worker.celery_app worker`` works as well (broker from ``TRIBUNAL_BROKER_URL``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, bootsteps

from tribunal.config import Settings
from worker.tasks import TRAIN_TASK, train_task

log = logging.getLogger(__name__)

BROKER_ENV = "TRIBUNAL_BROKER_URL"
DEFAULT_QUEUE = "tribunal.train"


class RedeliverExpiredJobs(bootsteps.StartStopStep):
    """Every few seconds, put back on the queue the jobs that an executor took and did not
    acknowledge within the visibility timeout (it died in the middle of them).

    kombu's Redis transport does this itself only when a worker starts and then on every tenth
    10 s tick, so a job of a killed executor waited up to 100 s past its visibility timeout
    before an idle executor took it. Only how soon changes: any executor's step puts back every
    job older than the visibility timeout, a live one's too, so that timeout must stay longer than
    any training run (``broker_visibility_timeout_s``) or a job runs twice.
    """

    requires = ("celery.worker.consumer.connection:Connection",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._timer: Any = None

    def start(self, parent: Any) -> None:
        channel = parent.connection.default_channel
        restore = getattr(getattr(channel, "qos", None), "restore_visible", None)
        if restore is None:
            return  # not Redis: the broker redelivers by itself
        every_s = min(10.0, max(1.0, channel.visibility_timeout / 4))
        self._timer = parent.timer.call_repeatedly(
            every_s, restore, kwargs={"num": channel.unacked_restore_limit, "interval": 1})
        log.info("jobs unacknowledged for %d s go back to the queue (checked every %.0f s)",
                 channel.visibility_timeout, every_s)

    def stop(self, parent: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def make_celery(broker: str | None) -> Celery:
    """Eager (in-process) without a broker; Redis as broker and result backend with one."""
    app = Celery("tribunal-worker", broker=broker or "memory://", backend=broker or None,
                 set_as_current=False)
    app.conf.update(
        task_always_eager=broker is None,
        task_eager_propagates=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_track_started=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        result_expires=7 * 86_400,
        task_default_queue=DEFAULT_QUEUE,
        # A job not acknowledged within this time is handed to another executor: longer than
        # any training run (a redelivered job resumes from its checkpoints, so the cost is time).
        # TRIBUNAL_BROKER_VISIBILITY_TIMEOUT_S or the config file; read only with a broker.
        broker_transport_options={
            "visibility_timeout": Settings().broker_visibility_timeout_s,
        } if broker else {},
        result_backend_transport_options={"retry_policy": {"timeout": 5.0}},
    )
    app.task(name=TRAIN_TASK, bind=True, acks_late=True)(train_task)
    if broker:
        app.steps["consumer"].add(RedeliverExpiredJobs)
    return app


app = make_celery(os.environ.get(BROKER_ENV))
