"""What the app remembers, for one user on one computer: the uploads and the jobs.

State lives in memory and in one private temporary folder (uploads, files to download),
deleted when the app stops.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, abort, current_app

from . import tasks
from .jobs import Jobs

#: Where the app keeps its state in ``Flask.extensions``.
EXTENSION = "psychometrics"


@dataclass
class Upload:
    """One uploaded export and what the user confirmed about it."""

    id: str
    name: str
    path: Path
    journey: str
    columns: list
    n: int
    setup: tasks.Setup | None = None
    norms_job: str | None = None  # norms built in this session, to apply to this upload
    options: dict = field(default_factory=dict)
    # read once per id column (read_export reads the id as text), suggested once per id column
    frames: dict = field(default_factory=dict, repr=False)
    suggestions: dict = field(default_factory=dict, repr=False)


class State:
    """Everything the app remembers, for one user on one computer."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.uploads: dict[str, Upload] = {}
        self.jobs = Jobs()
        self.lock = threading.Lock()

    def upload(self, uid: str) -> Upload:
        with self.lock:
            up = self.uploads.get(uid)
        if up is None:
            abort(404)
        return up

    def clean(self, message: str) -> str:
        """A message without the private folder's path: the user sees their file's name."""
        return re.sub(re.escape(str(self.workdir)) + r"[/\\][^/\\]+[/\\]", "", message)


def state_of(app: Flask) -> State:
    """The app's state (uploads, jobs, private folder)."""
    return app.extensions[EXTENSION]


def current_state() -> State:
    """The state of the app serving the current request."""
    return state_of(current_app)
