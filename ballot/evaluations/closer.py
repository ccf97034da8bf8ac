"""The closer: closes and tallies every evaluation whose closing time has passed, with no request
at all (issue 9: a GET never writes, so a page can only show *closing*).

Chosen over a systemd timer because it works wherever the product runs, the team's laptop
included: gunicorn starts one in every worker (``post_worker_init`` in deploy/gunicorn.conf.py),
every ``CLOSE_DUE_SECONDS`` (default 10 s; 0 turns it off). Several closers at once are safe:
closing is one conditional UPDATE (``close_evaluation``), so each evaluation closes once. The
other ways an evaluation closes stay: the team's POST, a voter's confirm arriving after the
time, and ``ballot close-due`` for an operator.
"""

from __future__ import annotations

import logging
import random
import threading

from flask import Flask

from ballot.db import unit_of_work
from ballot.evaluations.services import (
    close_due,
    due_evaluations,
    rescrub_if_pending,
    sweep_keys,
)

log = logging.getLogger(__name__)


def close_due_now(app: Flask) -> list[int]:
    """One pass: close every due evaluation, each in a transaction of its own; then destroy any
    leftover key of a closed one. Returns the ids closed by this pass."""
    closed = []
    with app.app_context():
        with unit_of_work() as session:
            due = due_evaluations(session)
        for evaluation_id in due:
            try:
                with unit_of_work() as session:
                    if close_due(session, evaluation_id):
                        closed.append(evaluation_id)
            except Exception:  # one evaluation's problem never holds up the others
                log.exception("evaluation %s could not be closed at its time", evaluation_id)
        with unit_of_work() as session:
            sweep_keys(session)
        rescrub_if_pending(session)  # after that commit: no transaction of ours is open
    return closed


class Closer(threading.Thread):
    """A daemon thread running ``close_due_now`` every ``interval`` seconds until stopped."""

    def __init__(self, app: Flask, interval: float) -> None:
        super().__init__(name="ballot-closer", daemon=True)
        self.app = app
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        # Workers started together spread their passes over the interval.
        self.stopped.wait(random.uniform(0, self.interval))
        while not self.stopped.is_set():
            try:
                for evaluation_id in close_due_now(self.app):
                    log.info("evaluation %s closed at its closing time", evaluation_id)
            except Exception:  # a database hiccup: try again next time, never die
                log.exception("the closer's pass failed")
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()


def start(app: Flask) -> Closer | None:
    """Start the app's closer unless ``CLOSE_DUE_SECONDS`` is 0."""
    interval = float(app.config["CLOSE_DUE_SECONDS"])
    if interval <= 0:
        return None
    closer = Closer(app, interval)
    closer.start()
    return closer
