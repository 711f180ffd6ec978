"""The poller's settings (:class:`PollerConfig`) and the result of one meter's cycle."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from poller.detect import DEFAULT_TOLERANCE
from poller.protocol.link import LinkLimits, LinkTimers
from poller.schedule import Backoff


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DlmsTimers:
    """Seconds. ``inter_frame`` bounds a frame that has started arriving."""

    response_timeout: float = 5.0
    retries: int = 3
    inter_frame: float = 1.0

    @classmethod
    def serial(cls) -> DlmsTimers:
        return cls(response_timeout=2.0, retries=3, inter_frame=0.5)


@dataclass(frozen=True, slots=True)
class PollerConfig:
    max_connections: int = 64  # open meter sessions at once
    max_db_writers: int = 4  # concurrent store transactions (the pool holds 15)
    tcp_timers: LinkTimers = field(default_factory=LinkTimers.tcp)
    serial_timers: LinkTimers = field(default_factory=LinkTimers.serial)
    limits: LinkLimits = field(default_factory=LinkLimits)
    reader_serial: str = "000000"
    retries: int = 2  # extra sessions after a poller-detected error, in one cycle
    retry_backoff: Backoff = field(default_factory=lambda: Backoff(base=2.0, cap=60.0))
    busy_delay: float = 30.0  # before the one retry after a WAIT/NAK storm
    cycle_backoff: Backoff = field(default_factory=lambda: Backoff(base=60.0, cap=3600.0))
    store_backoff: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=30.0))
    store_attempts: int = 6  # inline store tries before the read waits in `pending`
    db_timeout: float = 10.0  # for the read plan; past it the read asks the meter for all
    clock_correct_min: timedelta = timedelta(minutes=1)
    clock_correct_max: timedelta = timedelta(minutes=60)
    #: the clock policy may wait this long in a session for a moment when a correction stays
    #: inside the meter's interval (poller/clock.py); ``sleep`` is how (tests advance a clock)
    clock_max_wait_s: float = 300.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock_keepalive_s: float = 30.0  # during such a wait, talk to the meter this often
    #: DLMS link timers over TCP (wrapper or HDLC) and over a serial port
    dlms_tcp_timers: DlmsTimers = field(default_factory=DlmsTimers)
    dlms_serial_timers: DlmsTimers = field(default_factory=DlmsTimers.serial)
    #: invocation counters reserved per HLS-GMAC session (never reused)
    dlms_counter_reserve: int = 10_000
    #: how far back a DLMS meter's profile is asked for when nothing is stored yet
    dlms_first_read: timedelta = timedelta(days=2)
    gap_rounds: int = 2  # re-requests of a period for intervals still missing
    settle: timedelta = timedelta(minutes=2)
    registry_refresh: float = 60.0
    tick: float = 1.0
    session_lease_s: int = 900  # a crashed poller's claim on a meter expires after this
    #: seconds between checks of meters under 15-minute monitoring (smf.meters_due_monitoring)
    monitoring_check: float = 60.0
    #: serve on-demand reads queued in smf.read_request (poller/read_requests.py) beside the
    #: schedule; also woken by NOTIFY, and every `read_request_poll` seconds in any case
    serve_read_requests: bool = True
    read_request_poll: float = 30.0
    clock: Callable[[], datetime] = system_clock
    #: relative tolerance of the register check (plus one pulse per interval, see detect.py)
    plausibility_tolerance: float = DEFAULT_TOLERANCE


@dataclass(slots=True)
class PollResult:
    """The outcome of one poll cycle of one meter (possibly several sessions)."""

    serial: str
    outcome: str  # smf.poll_attempt.outcome of the last session (an Outcome value)
    sessions: int = 0
    error: str | None = None
    intervals_read: int = 0
    intervals_stored: int = 0  # new intervals (smf.poll_attempt counts new + replaced)
    intervals_updated: int = 0  # stored intervals this read replaced (source precedence)
    committed: bool = False  # False with outcome 'ok': the read waits in memory for the DB
    clock_drift_s: float | None = None
    events: list[str] = field(default_factory=list)
    answer_to_commit_s: float | None = None  # last meter answer → transaction committed

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"  # Outcome.OK (a StrEnum compares equal)
