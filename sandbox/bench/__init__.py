"""The benchmarks (`manage.py bench_exports`, `bench_load`, `bench_dashboard`): the portal against the stand-ins.

They live with the stand-ins because they seed and talk to them, and, like them, exist only with SANDBOX_ENABLED.
`exports` times one export, `load` the export schedules under several qcluster processes, `dashboard` /admin/
with a large history.
"""
import logging
from contextlib import contextmanager

__all__ = ["BENCH_LOG_LEVELS", "loggers_quieted"]

# The backoff warnings of a failing call would drown the figures; failures are counted anyway. The
# seeded clients enqueue their first syncs, and each dashboard request would log at INFO.
BENCH_LOG_LEVELS = {"integrations": logging.ERROR, "django-q": logging.WARNING, "django.request": logging.ERROR}


@contextmanager
def loggers_quieted(levels: dict[str, int] = BENCH_LOG_LEVELS):
    """Raise the given loggers' levels for a benchmark and put them back after, also when the
    benchmark runs inside the test process."""
    loggers = {name: logging.getLogger(name) for name in levels}
    before = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(before[name])
