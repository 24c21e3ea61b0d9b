"""An `rq worker --worker-class tests.rq_worker.PreloadedSimpleWorker` for tests: the Procfile's worker
(jobs run in the worker process, app built once at start-up) that can also be started held, so a test can
start it early and release it later."""
from __future__ import annotations

import os
import time

from portal.core.worker import Worker


class PreloadedSimpleWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A worker started ahead of need (ready, app built) waits here until the test creates this file.
        hold = os.environ.get("TEST_WORKER_HOLD")
        while hold and not os.path.exists(hold):
            time.sleep(0.02)
