"""Simulated phones: each has its own connection and cookie jar and does what a browser does.

A product vote is five requests: open the slip (303), load the ballot (read the CSRF token and
the member fields from the page), submit for review (200), confirm (303) and follow it to the
thanks page, which shows the voter's tracker (read from the page). A baseline store is
one ``POST /spend`` (the ballot in clear) or ``POST /spend/encrypted``. Latencies are taken
around each request, and a vote's is the sum of its requests' (a paced phone's pauses for
reading are not the server's time). Each outcome keeps the choices sent, so the storage check
can compare them with what the stored ballots add up to.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from bench.seed import random_ratings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MEMBER_FIELD = re.compile(r'name="m(\d+)"')
TRACKER = re.compile(r'id="tracker">([^<]+)<')
PRODUCT_STEPS = ("open /s/<code>", "GET /ballot", "POST /ballot", "POST /ballot/confirm",
                 "GET /thanks")
PLAIN_PATH, ENCRYPTED_PATH = "/spend", "/spend/encrypted"
#: Longest a phone waits for one response: far past anything a voter would accept.
TIMEOUT = aiohttp.ClientTimeout(total=120)


class VoteFailed(Exception):
    """A phone did not get the response a voter expects at some step."""


@dataclass
class Outcome:
    ok: bool
    #: Seconds for the whole vote (all its requests), and for each request.
    latency: float
    steps: list[float] = field(default_factory=list)
    #: The choices sent: member id -> rating or ``abstain``.
    ratings: dict[int, str] = field(default_factory=dict)
    #: The tracker the thanks page showed (product votes only).
    tracker: str | None = None
    error: str | None = None

    @property
    def rated(self) -> int:
        """Ratings this vote gave (members not left blank)."""
        return sum(1 for r in self.ratings.values() if r != "abstain")


@dataclass
class Run:
    outcomes: list[Outcome]
    wall: float
    client_cpu: float
    #: CPU seconds the server spent during the run (set by the caller, Server.cpu_seconds).
    server_cpu: float = 0.0

    @property
    def succeeded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def _expect(response: aiohttp.ClientResponse, status: int, step: str) -> None:
    if response.status != status:
        raise VoteFailed(f"{step}: HTTP {response.status}, expected {status}")


@dataclass(frozen=True)
class Pace:
    """A person's pace: seconds spent reading the ballot and filling it in, then looking over
    the review page, each drawn uniformly from its range. Waits are not counted in latencies."""

    reading: tuple[float, float] = (0.0, 0.0)
    reviewing: tuple[float, float] = (0.0, 0.0)


#: No pause between requests: phones in a closed loop.
NO_PAUSE = Pace()


async def _pause(span: tuple[float, float], rng: random.Random) -> None:
    if span[1] > 0:
        await asyncio.sleep(rng.uniform(*span))


async def product_vote(session: aiohttp.ClientSession, credential: str,
                       rng: random.Random, pace: Pace = NO_PAUSE) -> Outcome:
    """One voter's full vote through the product's pages; ``latency`` is the time spent
    waiting on the server (the pauses of ``pace`` left out)."""
    steps: list[float] = []

    async def timed(request: Awaitable[aiohttp.ClientResponse], status: int,
                    step: str) -> str:
        began = time.perf_counter()
        try:
            async with await request as response:
                body = await response.text()
                _expect(response, status, step)
        except (aiohttp.ClientError, TimeoutError) as problem:
            raise VoteFailed(f"{step}: {type(problem).__name__}: {problem}") from problem
        steps.append(time.perf_counter() - began)
        return body

    await timed(session.get(f"/s/{credential}", allow_redirects=False), 303, PRODUCT_STEPS[0])
    page = await timed(session.get("/ballot"), 200, PRODUCT_STEPS[1])
    token = CSRF.search(page)
    member_ids = [int(m) for m in dict.fromkeys(MEMBER_FIELD.findall(page))]
    if token is None or not member_ids:
        raise VoteFailed("GET /ballot: no CSRF token or no member fields on the page")
    ratings = random_ratings(member_ids, rng)
    form = {"csrf_token": token.group(1), **{f"m{m}": r for m, r in ratings.items()}}
    await _pause(pace.reading, rng)
    review = await timed(session.post("/ballot", data=form), 200, PRODUCT_STEPS[2])
    if "/ballot/confirm" not in review:
        raise VoteFailed("POST /ballot: the review page has no confirm form")
    await _pause(pace.reviewing, rng)
    await timed(session.post("/ballot/confirm", data=form, allow_redirects=False), 303,
                PRODUCT_STEPS[3])
    shown = TRACKER.search(await timed(session.get("/thanks"), 200, PRODUCT_STEPS[4]))
    if shown is None:
        raise VoteFailed("GET /thanks: no tracker on the page")
    return Outcome(True, sum(steps), steps, ratings, shown.group(1))


def baseline_steps(path: str) -> tuple[str, ...]:
    return (f"POST {path}",)


def baseline_store(member_ids: list[int], path: str = PLAIN_PATH
                   ) -> Callable[..., Awaitable[Outcome]]:
    """One store on the baseline app (``path``: plain or encrypting), with ratings drawn as a
    voter's would be."""
    step = baseline_steps(path)[0]

    async def store(session: aiohttp.ClientSession, credential: str,
                    rng: random.Random, pace: Pace = NO_PAUSE) -> Outcome:
        ratings = random_ratings(member_ids, rng)
        await _pause(pace.reading, rng)
        form = {"credential": credential, **{f"m{m}": r for m, r in ratings.items()}}
        start = time.perf_counter()
        try:
            async with session.post(path, data=form, allow_redirects=False) as response:
                await response.read()
                _expect(response, 303, step)
        except (aiohttp.ClientError, TimeoutError) as problem:
            raise VoteFailed(f"{step}: {type(problem).__name__}: {problem}") from problem
        latency = time.perf_counter() - start
        return Outcome(True, latency, [latency], ratings)

    return store


async def _phone(base_url: str, credential: str, rng: random.Random, pace: Pace,
                 vote: Callable[..., Awaitable[Outcome]]) -> Outcome:
    """One phone's vote; a phone is a new client: its own TCP connection and its own cookies."""
    start = time.perf_counter()
    async with aiohttp.ClientSession(
        base_url, cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=TIMEOUT,
        connector=aiohttp.TCPConnector(limit=1),
    ) as session:
        try:
            return await vote(session, credential, rng, pace)
        except VoteFailed as problem:
            return Outcome(False, time.perf_counter() - start, error=str(problem))


async def _play(base_url: str, credentials: Sequence[str], concurrency: int,
                vote: Callable[..., Awaitable[Outcome]], seed: int) -> list[Outcome]:
    pending = iter(enumerate(credentials))
    outcomes: list[Outcome] = []

    async def phone_queue() -> None:
        for index, credential in pending:
            rng = random.Random(seed * 1_000_003 + index)
            outcomes.append(await _phone(base_url, credential, rng, NO_PAUSE, vote))

    await asyncio.gather(*(phone_queue() for _ in range(min(concurrency, len(credentials)))))
    return outcomes


def play(base_url: str, credentials: Sequence[str], concurrency: int,
         vote: Callable[..., Awaitable[Outcome]], seed: int = 1) -> Run:
    """Let every credential vote, ``concurrency`` phones at a time; stops when all have voted."""
    cpu, start = time.process_time(), time.perf_counter()
    outcomes = asyncio.run(_play(base_url, credentials, concurrency, vote, seed))
    return Run(outcomes, time.perf_counter() - start, time.process_time() - cpu)


async def _room(base_url: str, credentials: Sequence[str], arrival: float, pace: Pace,
                vote: Callable[..., Awaitable[Outcome]], seed: int) -> list[Outcome]:
    async def phone(index: int, credential: str) -> Outcome:
        rng = random.Random(seed * 1_000_003 + index)
        await asyncio.sleep(rng.uniform(0, arrival))
        return await _phone(base_url, credential, rng, pace, vote)

    return list(await asyncio.gather(*(phone(i, c) for i, c in enumerate(credentials))))


def play_room(base_url: str, credentials: Sequence[str], arrival: float, pace: Pace,
              vote: Callable[..., Awaitable[Outcome]], seed: int = 1) -> Run:
    """A meeting room: every credential's phone votes at once, each scanning its slip at a
    moment drawn from the first ``arrival`` seconds and then going at a person's ``pace``."""
    cpu, start = time.process_time(), time.perf_counter()
    outcomes = asyncio.run(_room(base_url, credentials, arrival, pace, vote, seed))
    return Run(outcomes, time.perf_counter() - start, time.process_time() - cpu)


def combine(runs: Sequence[Run]) -> Run:
    """Runs played in turns, as one: their outcomes, and their walls and CPU times added."""
    return Run([o for run in runs for o in run.outcomes], sum(r.wall for r in runs),
               sum(r.client_cpu for r in runs), sum(r.server_cpu for r in runs))
