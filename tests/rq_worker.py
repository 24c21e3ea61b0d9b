"""An `rq worker --worker-class tests.rq_worker.PreloadedSimpleWorker` for tests: jobs run in the worker
process itself (no work horse forked per job) with the app built once at start-up, so a test can start the
worker first and build its data while the worker gets ready (or start it held, and release it later).
Claims, keys and retries are the same as under the Procfile's forking portal.core.worker.Worker."""
from __future__ import annotations

import os
import time

from rq.worker import SimpleWorker

from portal.core.worker import _app


class PreloadedSimpleWorker(SimpleWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _app()
        # A worker started ahead of need (ready, app built) waits here until the test creates this file.
        hold = os.environ.get("TEST_WORKER_HOLD")
        while hold and not os.path.exists(hold):
            time.sleep(0.02)
