"""Protocol events, read off a node's outputs: what a :class:`ackcheck.schedule.Decision`
waits for and where abstract states are sampled.

The node stays sans-I/O and unaware of any of this: the simulator recognises an event
from an output it carries out anyway (an ``Observe("leader")``, a tagged ``Write`` while
handling a client request, a ``ClientReply`` with ``PublishOk``, a ``Send`` of a vote
grant). A user's own node gets the same treatment wherever it emits the same outputs;
:data:`ackcheck.schedule.PROTOCOL_EVENTS` names the events and says what each is.
"""

from __future__ import annotations

from typing import Any

from ackcheck.node import ClientReply, Observe, PublishOk, Send, Write

#: ``Observe`` kinds that are protocol events, and their event names.
_OBSERVED = {"leader": "leader", "commit": "commit"}


def _observe(out: Observe, client: bool) -> str | None:
    return _OBSERVED.get(out.kind)


def _write(out: Write, client: bool) -> str | None:
    return "append" if client and out.tags else None


def _reply(out: ClientReply, client: bool) -> str | None:
    return "ack" if type(out.result) is PublishOk else None


def _send(out: Send, client: bool) -> str | None:
    return "vote" if getattr(out.msg, "granted", None) is True else None


#: The one table from an output type to the event it may show. ``client`` says whether
#: the step handles a client's request (a tagged write then is the leader's own append,
#: not a follower storing a replicated entry).
EVENT_OF: dict[type, Any] = {
    Observe: _observe,
    Write: _write,
    ClientReply: _reply,
    Send: _send,
}
