"""What a Web API method handler gets: the workspace, the arguments, where the stand-in lives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._args import Args
from .state import SlackState


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated call of a Web API method."""

    state: SlackState
    args: Args
    method: str
    #: Absolute URL where the stand-in is mounted (``http://127.0.0.1:PORT/slack``), for the
    #: URLs it hands out (upload URLs, file downloads).
    base_url: str


Handler = Callable[[Call], dict[str, Any]]
