import os

# The tracker runs in parallel with processes (gunicorn's workers, Celery's pool, one task per program). The numerical
# libraries' own thread pools (OpenBLAS / OpenMP, under numpy, scipy and the impact estimates) on top of them would
# ask for every core in every process: with two worker processes on two cores the impact estimates took 2.5 times as
# long as with one (bench/impact.py, docs/benchmarks.md). One thread per process unless the environment says
# otherwise. Set before anything imports numpy: every process of the project imports this package first.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from .celery_app import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
