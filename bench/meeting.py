"""Play a meeting against the product under gunicorn, and a bare baseline on the same stack.

    python -m bench.meeting                       # everything, SQLite and PostgreSQL
    python -m bench.meeting --scenario steady --db sqlite --phones 500 --concurrency 32

Scenarios (docs/benchmark.md):
  encrypt  tally.box.Encryptor.encrypt timed in-process, one ballot at a time, at several
           roster sizes (median of many): what the encrypted box adds to every confirm.
  steady   N phones vote, C at a time, against the product; N stores, C at a time, against the
           baseline storing the ballot in clear, and N against the baseline encrypting it as the
           product does; in alternating rounds; rates, server CPU per ballot, ratios, checks.
  room     64 phones vote at once at a person's pace (a meeting room: slips scanned within a
           few seconds, the ballot read and filled in, the review looked over), in 3 meetings
           one after another, against the product and both baselines; p99 of every request.
  burst    1,000 phones start their votes at the same moment; every one must succeed.
  close    10,000 encrypted ballots x 30 members written directly under a real evaluation's
           keys, then close_evaluation (sums, decryption, proofs, tally) is timed; the box file
           is built and recounted by tally.box.verify_box and by `tally verify-box`.
  sync     SQLite commits of one ballot (UPDATE a slip, INSERT a 4 KB blob, WAL) under
           synchronous=FULL (the product's setting) and NORMAL, in alternating rounds.
This is a benchmark, not a test: it prints figures and target verdicts, and exits 1 only when a
correctness check fails (a lost or extra ballot, a failed vote, a wrong tally, a box that does
not verify).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import resource
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.db import make_engine
from ballot.evaluations.box import box_bytes
from ballot.evaluations.models import Ballot, Evaluation, Slip, VoteTally
from ballot.evaluations.services import close_evaluation
from bench import phones, seed, server
from tally import box

CREDENTIAL_KEY = "bench-credential-key"
#: Targets from the issue, on a 2-core machine.
RATIO_TARGET = 0.25
P99_TARGET_MS = 100.0
P99_TARGET_PHONES = 64
CLOSE_TARGET_S = 2.0
VERIFY_TARGET_S = 5.0
WARM_UP_VOTES = 40
#: Longest a simulated person may pause (--reading, --reviewing, --arrival): runs stay bounded.
MAX_PAUSE_S = 600.0
#: Longest the `tally verify-box` subprocess may take: far past the target, so a run ends.
VERIFY_TIMEOUT_S = 600


@dataclass
class Verdicts:
    """Correctness failures (which fail the run) and target verdicts (which only print)."""

    failures: list[str]
    targets: list[tuple[str, bool]]

    def check(self, ok: bool, failure: str) -> None:
        if not ok:
            self.failures.append(failure)

    def target(self, label: str, met: bool) -> str:
        self.targets.append((label, met))
        return "met" if met else "MISSED"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def latency_line(values: list[float]) -> str:
    if not values:
        return "no successful request"
    p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   p99 {p99:7.1f} ms"


def p50_ms(values: list[float]) -> float:
    return percentile(values, 50) * 1000 if values else float("inf")


def p99_ms(values: list[float]) -> float:
    return percentile(values, 99) * 1000 if values else float("inf")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def per_ballot_cpu_ms(run: phones.Run) -> float:
    done = len(run.succeeded)
    return run.server_cpu * 1000 / done if done else float("inf")


def report_run(label: str, unit: str, run: phones.Run, step_names: tuple[str, ...]) -> float:
    """Print throughput, latency, server CPU and errors of a run; return its rate per second."""
    done = len(run.succeeded)
    rate = done / run.wall if run.wall else 0.0
    print(f"  {label:<11}{done} {unit} in {run.wall:6.2f} s = {rate:7.1f} {unit}/s   "
          f"errors {len(run.errors)}   server CPU {per_ballot_cpu_ms(run):5.1f} ms a "
          f"{unit[:-1]}   (load generator CPU {run.client_cpu:.1f} s)")
    print(f"    {'whole ' + unit[:-1]:<22}{latency_line([o.latency for o in run.succeeded])}")
    if len(step_names) > 1:
        for index, name in enumerate(step_names):
            print(f"    {name:<22}{latency_line([o.steps[index] for o in run.succeeded])}")
    for message, count in Counter(o.error for o in run.errors).most_common(5):
        print(f"    error x{count}: {message}")
    return rate


def sent_ratings(run: phones.Run) -> Counter[tuple[int, str]]:
    """(member id, rating) -> how many successful submits gave it."""
    sent: Counter[tuple[int, str]] = Counter()
    for outcome in run.succeeded:
        sent.update((m, r) for m, r in outcome.ratings.items() if r != "abstain")
    return sent


def _slot_counter(sums: list[int], member_ids: list[int]) -> Counter[tuple[int, str]]:
    found: Counter[tuple[int, str]] = Counter()
    for index, count in enumerate(sums):
        member, rating = divmod(index, box.SLOTS_PER_MEMBER)
        if count:
            found[(member_ids[member], box.RATINGS[rating])] = count
    return found


@dataclass(frozen=True)
class Stored:
    ballots: int
    spent: int
    #: Every ballot valid, of the right size, with the tracker of its bytes.
    well_formed: bool
    trackers: Counter[str]
    #: What the ballots add up to: (member id, rating) -> count, or why they could not be.
    added_up: Counter[tuple[int, str]] | str


def stored_ballots(url: str, workdir: Path, meeting: seed.Meeting, encrypted: bool) -> Stored:
    """What an evaluation holds: ballots, spent slips, trackers and what the ballots add up to.

    Encrypted ballots are added up the product's way: the evaluation is closed
    (close_evaluation: sums decrypted with proofs) and its vote tally read. Clear ballots (the
    plain baseline) are summed slot by slot. The last item is a message if the close failed."""
    engine = make_engine(url)
    slots = box.SLOTS_PER_MEMBER * len(meeting.member_ids)
    width = (1 + slots) * box.group.POINT_BYTES if encrypted else slots
    try:
        with Session(engine) as session:
            rows = [(valid, bytes(c) if c is not None else None, t) for valid, c, t in
                    session.execute(select(Ballot.valid, Ballot.ciphertext, Ballot.tracker)
                                    .where(Ballot.evaluation_id == meeting.evaluation_id))]
            spent = int(session.scalar(
                select(func.count()).select_from(Slip)
                .where(Slip.evaluation_id == meeting.evaluation_id, Slip.spent)) or 0)
            well_formed = all(valid and c is not None and len(c) == width and t == box.tracker(c)
                              for valid, c, t in rows)
            trackers = Counter(t for _, _, t in rows if t is not None)

            def stored(added_up: Counter[tuple[int, str]] | str) -> Stored:
                return Stored(len(rows), spent, well_formed, trackers, added_up)

            if not encrypted:
                columns = zip(*(c for _, c, _ in rows if c is not None), strict=True)
                sums = [sum(column) for column in columns] if rows else [0] * slots
                return stored(_slot_counter(sums, meeting.member_ids))
            try:
                closed = close_evaluation(session, meeting.evaluation_id, "team",
                                          keystore=seed.keystore(workdir))
                session.commit()
            except Exception as problem:  # a ciphertext that is not a point, a lost key
                return stored(f"close failed: {problem}")
            if not closed:
                return stored("close failed: the evaluation was not open")
            found: Counter[tuple[int, str]] = Counter()
            for tally in session.scalars(select(VoteTally).where(
                    VoteTally.evaluation_id == meeting.evaluation_id)):
                for rating in box.RATINGS:
                    found[(tally.member_id, rating)] = getattr(tally, rating)
            return stored(+found)
    finally:
        engine.dispose()


def check_stored(verdicts: Verdicts, label: str, url: str, workdir: Path,
                 meeting: seed.Meeting, run: phones.Run, *, encrypted: bool = True) -> None:
    """Stored ballots = spent slips = successful submits, every ballot the right size with its
    tracker, the trackers the voters were shown are the stored ones (product votes), and the
    ballots add up to exactly the ratings the successful submits sent."""
    stored = stored_ballots(url, workdir, meeting, encrypted)
    ok_votes = len(run.succeeded)
    sent = sent_ratings(run)
    how = "tally after close" if encrypted else "clear slots summed"
    if isinstance(stored.added_up, str):
        ok, added_up = False, stored.added_up
    else:
        ok, added_up = stored.added_up == sent, f"{sum(stored.added_up.values())} ratings"
    shown = Counter(o.tracker for o in run.succeeded if o.tracker is not None)
    trackers = ""
    if shown:
        ok = ok and shown == stored.trackers
        trackers = f", trackers shown = stored: {'yes' if shown == stored.trackers else 'NO'}"
    ok = ok and stored.well_formed and stored.ballots == stored.spent == ok_votes
    print(f"  check    {label}: {stored.ballots} ballots stored"
          f"{'' if stored.well_formed else ' (MALFORMED)'}, {stored.spent} slips spent, "
          f"successful submits {ok_votes}{trackers}; {how}: {added_up}, sent "
          f"{sum(sent.values())}: {'ok' if ok else 'MISMATCH'}")
    verdicts.check(ok, f"{label}: stored ({stored.ballots} ballots, {stored.spent} spent, "
                       f"{added_up}) != submitted ({ok_votes}, {sum(sent.values())} ratings)")
    verdicts.check(not run.errors, f"{label}: {len(run.errors)} failed votes")


def report_server_problems(srv: server.Server) -> None:
    lines = srv.problems()
    if lines:
        print(f"    gunicorn error log: {len(lines)} problem lines, e.g.")
        for line in lines[:3]:
            print(f"      {line[:150]}")


def measured(srv: server.Server, play: Callable[..., phones.Run], *args: object,
             **kwargs: object) -> phones.Run:
    """``play(srv.url, *args, **kwargs)``, with the server CPU the run cost recorded."""
    before = srv.cpu_seconds()
    run = play(srv.url, *args, **kwargs)
    run.server_cpu = srv.cpu_seconds() - before
    return run


def warm_up(base_url: str, vote, credentials: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A few votes first, so every worker has loaded its templates and opened its connections."""
    run = phones.play(base_url, credentials, 8, vote, seed=99)
    if run.errors:
        raise RuntimeError(f"warm-up failed: {run.errors[0].error}")


@dataclass(frozen=True)
class Side:
    """One of the three that take turns: the product, or a baseline route."""

    label: str
    unit: str
    meeting: seed.Meeting
    vote: Callable[..., object]
    steps: tuple[str, ...]
    encrypted: bool
    baseline: bool


def sides(url: str, args: argparse.Namespace, workdir: Path, slips: int, county: str
          ) -> tuple[list[Side], list[seed.Meeting]]:
    """The product, the plain baseline and the encrypting baseline, each with its own open
    evaluation of ``slips`` slips over the same roster size; and their warm-up evaluations."""
    def meeting(name: str, count: int) -> seed.Meeting:
        return seed.open_meeting(url, CREDENTIAL_KEY, workdir, county=name,
                                 members=args.members, slips=count)

    product, plain, encrypting = (meeting(f"{county}{n}", slips) for n in ("产品", "明文", "加密"))
    warm = [meeting(f"预热{n}", WARM_UP_VOTES) for n in ("产品", "明文", "加密")]
    return [
        Side("product", "votes", product, phones.product_vote, phones.PRODUCT_STEPS, True, False),
        Side("plain", "stores", plain, phones.baseline_store(plain.member_ids, phones.PLAIN_PATH),
             phones.baseline_steps(phones.PLAIN_PATH), False, True),
        Side("encrypting", "stores", encrypting,
             phones.baseline_store(encrypting.member_ids, phones.ENCRYPTED_PATH),
             phones.baseline_steps(phones.ENCRYPTED_PATH), True, True),
    ], warm


@contextlib.contextmanager
def product_and_baseline(url: str, args: argparse.Namespace, workdir: Path,
                         turns: list[Side], warm: list[seed.Meeting]
                         ) -> Iterator[tuple[server.Server, server.Server]]:
    """The product and the baseline under gunicorn at once (an idle one costs nothing), every
    side warmed up; their error logs are reported when the block ends."""
    with server.running(server.PRODUCT, url, workdir, credential_key=CREDENTIAL_KEY,
                        workers=args.workers, threads=args.threads) as product_srv, \
            server.running(server.BASELINE, url, workdir, credential_key=CREDENTIAL_KEY,
                           workers=args.workers, threads=args.threads) as bare_srv:
        for side, meeting in zip(turns, warm, strict=True):
            warm_up(bare_srv.url if side.baseline else product_srv.url, side.vote,
                    meeting.credentials)
        yield product_srv, bare_srv
        report_server_problems(product_srv)
        report_server_problems(bare_srv)


BASELINES_NOTE = ("plain = the baseline storing the ballot in clear; encrypting = the baseline "
                  "encrypting it with tally.box as the product does")


def steady(db: str, args: argparse.Namespace, verdicts: Verdicts, workdir: Path) -> None:
    print(f"\n== steady · {db} · {args.phones} phones, {args.concurrency} at a time, "
          f"roster of {args.members}; product and both baselines in {args.rounds} alternating "
          f"rounds; {load_average()} ==")
    print(f"  ({BASELINES_NOTE})")
    with seed.fresh_database(db) as url:
        turns, warm = sides(url, args, workdir, args.phones, "稳态")
        runs: dict[str, list[phones.Run]] = {side.label: [] for side in turns}
        # The sides take turns in rounds, so a change in the machine's load falls on all alike.
        with product_and_baseline(url, args, workdir, turns, warm) as (product_srv, bare_srv):
            for turn in range(args.rounds):
                chunk = slice(turn * args.phones // args.rounds,
                              (turn + 1) * args.phones // args.rounds)
                for side in turns:
                    srv = bare_srv if side.baseline else product_srv
                    runs[side.label].append(measured(
                        srv, phones.play, side.meeting.credentials[chunk], args.concurrency,
                        side.vote, seed=args.seed * 100 + turn))
        combined = {label: phones.combine(r) for label, r in runs.items()}
        rates = {side.label: report_run(side.label, side.unit, combined[side.label], side.steps)
                 for side in turns}
        product, plain, encrypting = (rates[s.label] for s in turns)
        ratio = product / encrypting if encrypting else 0.0
        met = verdicts.target(f"steady {db}: votes/s >= {RATIO_TARGET} x encrypting baseline "
                              "stores/s", ratio >= RATIO_TARGET)
        print(f"  ratio    {product:.1f} votes/s / {encrypting:.1f} encrypting stores/s = "
              f"{ratio:.2f}   (target >= {RATIO_TARGET}, like with like: {met})")
        plain_ratio = product / plain if plain else 0.0
        print(f"           against the plain baseline: {product:.1f} / {plain:.1f} stores/s = "
              f"{plain_ratio:.2f}; encrypting stores at {encrypting / plain if plain else 0:.2f}"
              " x the plain rate")
        cpu = {label: per_ballot_cpu_ms(run) for label, run in combined.items()}
        print(f"  cpu      server CPU a ballot: product {cpu['product']:.1f} ms (a whole vote, "
              f"five requests), plain store {cpu['plain']:.1f} ms, encrypting store "
              f"{cpu['encrypting']:.1f} ms: encryption adds {cpu['encrypting'] - cpu['plain']:.1f}"
              f" ms of server CPU to a confirm (roster of {args.members})")
        # With C phones in a closed loop and no pause, latency is C / throughput (Little's law):
        # it measures saturation, for the product and the baselines alike. The p99 target is
        # judged in the room scenario, where the phones go at a person's pace.
        request_p99 = p99_ms([s for o in combined["product"].succeeded for s in o.steps])
        store_p99 = p99_ms([o.latency for o in combined["encrypting"].succeeded])
        print(f"  closed   p99 any product request {request_p99:.1f} ms, encrypting store "
              f"{store_p99:.1f} ms: {args.concurrency} phones with no pause saturate both "
              "(latency = phones / throughput)")
        for side in turns:
            check_stored(verdicts, f"steady {db} {side.label}", url, workdir, side.meeting,
                         combined[side.label], encrypted=side.encrypted)


def room(db: str, args: argparse.Namespace, verdicts: Verdicts, workdir: Path) -> None:
    pace = phones.Pace(reading=args.reading, reviewing=args.reviewing)
    meetings = f"{args.room_rounds} meeting{'s' if args.room_rounds != 1 else ''}"
    print(f"\n== room · {db} · {args.room_phones} phones at once, {meetings}; "
          f"slips scanned within {args.arrival:g} s, ballot read for {pace.reading[0]:g}-"
          f"{pace.reading[1]:g} s, review for {pace.reviewing[0]:g}-{pace.reviewing[1]:g} s; "
          f"roster of {args.members}; {load_average()} ==")
    print(f"  ({BASELINES_NOTE})")
    with seed.fresh_database(db) as url:
        turns, warm = sides(url, args, workdir, args.room_phones * args.room_rounds, "会场")
        runs: dict[str, list[phones.Run]] = {side.label: [] for side in turns}
        with product_and_baseline(url, args, workdir, turns, warm) as (product_srv, bare_srv):
            for turn in range(args.room_rounds):
                chunk = slice(turn * args.room_phones, (turn + 1) * args.room_phones)
                for side in turns:
                    srv = bare_srv if side.baseline else product_srv
                    runs[side.label].append(measured(
                        srv, phones.play_room, side.meeting.credentials[chunk], args.arrival,
                        pace, side.vote, seed=args.seed * 100 + turn))
        combined = {label: phones.combine(r) for label, r in runs.items()}
        for side in turns:
            report_run(side.label, side.unit, combined[side.label], side.steps)
        vote_run = combined["product"]
        request_p99 = p99_ms([s for o in vote_run.succeeded for s in o.steps])
        vote_p99 = p99_ms([o.latency for o in vote_run.succeeded])
        met = "not judged (the target is for 64 phones)"
        if args.room_phones == P99_TARGET_PHONES:
            met = verdicts.target(
                f"room {db}: request p99 < {P99_TARGET_MS:.0f} ms, {args.room_phones} phones "
                f"at once at a person's pace (scans within {args.arrival:g} s)",
                request_p99 < P99_TARGET_MS and not vote_run.errors)
        print(f"  p99      any request {request_p99:.1f} ms (target < {P99_TARGET_MS:.0f} ms: "
              f"{met}); a vote's five requests together {vote_p99:.1f} ms")
        confirms = [o.steps[3] for o in vote_run.succeeded]
        plain = [o.latency for o in combined["plain"].succeeded]
        encrypting = [o.latency for o in combined["encrypting"].succeeded]
        print(f"  confirm  p50 / p99: product POST /ballot/confirm {p50_ms(confirms):.1f} / "
              f"{p99_ms(confirms):.1f} ms; baseline store plain {p50_ms(plain):.1f} / "
              f"{p99_ms(plain):.1f} ms, encrypting {p50_ms(encrypting):.1f} / "
              f"{p99_ms(encrypting):.1f} ms (encryption adds "
              f"{p50_ms(encrypting) - p50_ms(plain):.1f} ms at p50)")
        for side in turns:
            check_stored(verdicts, f"room {db} {side.label}", url, workdir, side.meeting,
                         combined[side.label], encrypted=side.encrypted)


def burst(db: str, args: argparse.Namespace, verdicts: Verdicts, workdir: Path) -> None:
    print(f"\n== burst · {db} · {args.burst_phones} phones at the same moment, "
          f"roster of {args.members}; {load_average()} ==")
    with seed.fresh_database(db) as url:
        crowd = seed.open_meeting(url, CREDENTIAL_KEY, workdir, county="突发县",
                                  members=args.members, slips=args.burst_phones)
        warm = seed.open_meeting(url, CREDENTIAL_KEY, workdir, county="预热县",
                                 members=args.members, slips=WARM_UP_VOTES)
        with server.running(server.PRODUCT, url, workdir, credential_key=CREDENTIAL_KEY,
                            workers=args.workers, threads=args.threads) as srv:
            warm_up(srv.url, phones.product_vote, warm.credentials)
            run = measured(srv, phones.play, crowd.credentials, args.burst_phones,
                           phones.product_vote, seed=args.seed)
            report_server_problems(srv)
        report_run("product", "votes", run, phones.PRODUCT_STEPS)
        met = verdicts.target(f"burst {db}: zero errors for {args.burst_phones} phones",
                              not run.errors)
        print(f"  errors   {len(run.errors)} of {len(run.outcomes)} (target 0: {met})")
        check_stored(verdicts, f"burst {db} product", url, workdir, crowd, run)


def encrypt(args: argparse.Namespace) -> None:
    """Encryptor.encrypt, one ballot at a time, at each roster size; sizes take turns in rounds
    so a change in the machine's load falls on all of them."""
    sizes = args.encrypt_members
    rounds = 5
    print(f"\n== encrypt · tally.box.Encryptor.encrypt of one ballot, {args.encryptions} per "
          f"roster size in {rounds} rounds, in-process; {load_average()} ==")
    rng = random.Random(args.seed)
    encryptors = {m: box.Encryptor(box.public_keys(box.new_seed(), m * box.SLOTS_PER_MEMBER))
                  for m in sizes}
    took: dict[int, list[float]] = {m: [] for m in sizes}
    tracked: dict[int, list[float]] = {m: [] for m in sizes}
    size: dict[int, int] = {}
    for turn in range(rounds):
        for members in sizes:
            count = (turn + 1) * args.encryptions // rounds - turn * args.encryptions // rounds
            for _ in range(count):
                choices = seed.random_ratings(list(range(members)), rng)
                values = box.slot_values([None if r == "abstain" else r for r in choices.values()])
                began = time.perf_counter()
                ciphertext = encryptors[members].encrypt(values)
                encrypted = time.perf_counter()
                box.tracker(ciphertext)
                took[members].append(encrypted - began)
                tracked[members].append(time.perf_counter() - encrypted)
                size[members] = len(ciphertext)
    for members in sizes:
        times = [t * 1000 for t in took[members]]
        print(f"  {members:>3} members  {members * box.SLOTS_PER_MEMBER:>4} slots   encrypt "
              f"median {statistics.median(times):6.2f} ms   p10 {percentile(times, 10):6.2f} ms"
              f"   p90 {percentile(times, 90):6.2f} ms   tracker "
              f"{statistics.median(tracked[members]) * 1e6:4.0f} us   ciphertext "
              f"{size[members]:,} bytes")


def close(db: str, args: argparse.Namespace, verdicts: Verdicts, workdir: Path) -> None:
    invalid = args.close_ballots // 100
    print(f"\n== close · {db} · {args.close_ballots} encrypted ballots x {args.close_members} "
          f"members (+ {invalid} invalid paper ballots); {load_average()} ==")
    with seed.fresh_database(db) as url:
        stored = seed.store_box(url, CREDENTIAL_KEY, workdir, ballots=args.close_ballots,
                                members=args.close_members, invalid=invalid, seed=args.seed)
        print(f"  seeded   a real evaluation opened (its key seed in the key store); "
              f"{args.close_ballots} ciphertexts made under its keys in "
              f"{stored.generate_seconds:.1f} s (point additions, tests/support/bigbox.py), "
              f"{args.close_ballots + invalid} ballot rows inserted in "
              f"{stored.insert_seconds:.1f} s")
        keys = seed.keystore(workdir)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                began, cpu = time.perf_counter(), time.process_time()
                closed = close_evaluation(session, stored.evaluation_id, "team", keystore=keys)
                tallied = time.perf_counter()
                session.commit()
                seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
                committed = began + seconds - tallied
            target = (f"close {db}: {args.close_ballots} x {args.close_members} in "
                      f"< {CLOSE_TARGET_S:.0f} s, decryption and proofs included")
            met = verdicts.target(target, seconds < CLOSE_TARGET_S) if db == "sqlite" else "n/a"
            print(f"  close    close_evaluation + commit: {seconds:.2f} s (target < "
                  f"{CLOSE_TARGET_S:.0f} s on SQLite: {met}); CPU of this process {cpu:.2f} s")
            print(f"           of which reading the ballots, sums, decryption with proofs, box "
                  f"digest, tally: {seconds - committed:.2f} s; the commit and what follows it "
                  f"(key destroyed{', file rebuilt and WAL emptied' if db == 'sqlite' else ''}): "
                  f"{committed:.2f} s")
            with Session(engine) as session:
                evaluation = session.get_one(Evaluation, stored.evaluation_id)
                found: Counter[tuple[int, str]] = Counter()
                tallies = session.scalars(select(VoteTally).where(
                    VoteTally.evaluation_id == stored.evaluation_id)).all()
                for t in tallies:
                    for rating in box.RATINGS:
                        found[(t.member_id, rating)] = getattr(t, rating)
                found = +found
                rows = int(session.scalar(select(func.count()).select_from(Ballot).where(
                    Ballot.evaluation_id == stored.evaluation_id)) or 0)
                ok = (closed and evaluation.state == "closed"
                      and (evaluation.ballots_cast, evaluation.invalid_ballots)
                      == (stored.ballots + invalid, invalid)
                      and rows == stored.ballots + invalid
                      and len(tallies) == args.close_members and found == stored.expected()
                      and all(t.valid + t.abstained == stored.ballots for t in tallies)
                      and not keys.has(stored.evaluation_id))
                print(f"  check    {rows} ballots stored; tally of {len(tallies)} members over "
                      f"{stored.ballots} valid ballots = the ratings generated; key destroyed: "
                      f"{'ok' if ok else 'MISMATCH'}")
                verdicts.check(ok, f"close {db}: stored ballots or tally do not match what was "
                                   "seeded")
                began = time.perf_counter()
                data = box_bytes(session, evaluation)
                built = time.perf_counter() - began
                digest = evaluation.box_digest
            verify(db, data, built, digest, stored, workdir, verdicts)
        finally:
            engine.dispose()


def verify(db: str, data: bytes, built: float, digest: str | None, stored: seed.StoredBox,
           workdir: Path, verdicts: Verdicts) -> None:
    """Recount the closed box as anyone would: in-process and with the `tally verify-box` CLI."""
    path = workdir / f"box-{db}-{stored.evaluation_id}.json"
    path.write_bytes(data)
    print(f"  box      box_bytes (the published file, rebuilt from the database): "
          f"{len(data) / 1e6:.1f} MB in {built:.2f} s")
    began, cpu = time.perf_counter(), time.process_time()
    try:
        verified: box.Verified | None = box.verify_box(data)
        problem = ""
    except box.BoxError as error:
        verified, problem = None, str(error)
    in_process, cpu = time.perf_counter() - began, time.process_time() - cpu
    ok = (verified is not None and verified.digest == digest
          and verified.counts == stored.counts and verified.valid_ballots == stored.ballots
          and verified.invalid_ballots == stored.invalid)
    cli = Path(sys.executable).with_name("tally")
    if cli.exists():
        began, child = time.perf_counter(), children_cpu_seconds()
        done = subprocess.run([str(cli), "verify-box", str(path)], capture_output=True,
                              text=True, timeout=VERIFY_TIMEOUT_S)
        by_cli, child = time.perf_counter() - began, children_cpu_seconds() - child
        ok = ok and done.returncode == 0
        judged = by_cli
        how = (f"`tally verify-box FILE` as a subprocess {by_cli:.2f} s (CPU {child:.2f} s), "
               f"exit {done.returncode}")
    else:
        judged, how = in_process, "the `tally` CLI is not installed: not timed"
    met = verdicts.target(f"verify {db}: tally verify-box of the {stored.ballots} x "
                          f"{len(stored.member_ids)} box in < {VERIFY_TARGET_S:.0f} s",
                          judged < VERIFY_TARGET_S)
    print(f"  verify   tally.box.verify_box in-process {in_process:.2f} s (CPU {cpu:.2f} s); {how} "
          f"(target < {VERIFY_TARGET_S:.0f} s: {met})")
    print(f"  check    the box verifies, its digest is the one stored at close, and it recounts "
          f"to the tally: {'ok' if ok else 'MISMATCH ' + problem}")
    verdicts.check(ok, f"verify {db}: the closed box does not verify or recount ({problem})")
    path.unlink()


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: The product's SQLite pragmas (ballot.db.make_engine), but for synchronous.
SYNC_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON",
                "PRAGMA busy_timeout=30000")


def sync(args: argparse.Namespace) -> None:
    """What synchronous=FULL costs a ballot's commit against NORMAL, on the disk the
    benchmark's databases use: the same write as a confirm's (one UPDATE of a slip, one INSERT
    of a ballot-sized blob), one transaction each, the two modes taking turns in rounds."""
    modes, rounds = ("FULL", "NORMAL"), 5
    folder_root = tempfile.gettempdir()
    print(f"\n== sync · SQLite commits of one ballot (UPDATE a slip + INSERT a {args.sync_blob}-"
          f"byte blob, WAL, BEGIN IMMEDIATE), synchronous FULL vs NORMAL, {args.sync_commits} "
          f"commits each in {rounds} rounds, in {folder_root}; {load_average()} ==")
    took: dict[str, list[float]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="ballot-bench-sync-") as folder:
        connections, pending = {}, {}
        for mode in modes:
            conn = sqlite3.connect(Path(folder) / f"{mode}.sqlite3", isolation_level=None)
            for pragma in SYNC_PRAGMAS:
                conn.execute(pragma)
            conn.execute(f"PRAGMA synchronous={mode}")
            conn.execute("CREATE TABLE slip (credential_hash TEXT PRIMARY KEY, spent INTEGER "
                         "NOT NULL) WITHOUT ROWID")
            conn.execute("CREATE TABLE ballot (id TEXT PRIMARY KEY, ciphertext BLOB NOT NULL) "
                         "WITHOUT ROWID")
            hashes = [secrets.token_hex(32) for _ in range(args.sync_commits)]
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO slip VALUES (?, 0)", [(h,) for h in hashes])
            conn.execute("COMMIT")
            connections[mode], pending[mode] = conn, iter(hashes)
        for turn in range(rounds):
            count = ((turn + 1) * args.sync_commits // rounds
                     - turn * args.sync_commits // rounds)
            for mode in modes if turn % 2 == 0 else reversed(modes):
                conn = connections[mode]
                for _ in range(count):
                    blob, ballot_id = secrets.token_bytes(args.sync_blob), secrets.token_hex(16)
                    began = time.perf_counter()
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("UPDATE slip SET spent = 1 WHERE credential_hash = ? AND "
                                 "spent = 0", (next(pending[mode]),))
                    conn.execute("INSERT INTO ballot VALUES (?, ?)", (ballot_id, blob))
                    conn.execute("COMMIT")
                    took[mode].append(time.perf_counter() - began)
        for conn in connections.values():
            conn.close()
    for mode in modes:
        times = [t * 1000 for t in took[mode]]
        print(f"  {mode:<7}  {len(times) / (sum(times) / 1000):7.1f} commits/s   median "
              f"{statistics.median(times):6.2f} ms   p99 {percentile(times, 99):6.2f} ms a commit")
    full, normal = (statistics.median(took[m]) * 1000 for m in modes)
    print(f"  cost     FULL {full:.2f} ms against NORMAL {normal:.2f} ms at the median: "
          f"{full - normal:+.2f} ms a ballot's commit (one fsync of the WAL); the product runs "
          "FULL, so the steady scenario's votes/s include it")


def machine_line(dbs: list[str]) -> str:
    parts = [f"{os.cpu_count()} cores", load_average(),
             f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    if "postgres" in dbs:
        with psycopg.connect(seed.POSTGRES_ADMIN_URL, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            settings = [conn.execute(f"SHOW {name}").fetchone() for name in
                        ("fsync", "synchronous_commit")]
            parts.append(f"PostgreSQL {row[0] if row else '?'} (fsync "
                         f"{settings[0][0] if settings[0] else '?'}, synchronous_commit "
                         f"{settings[1][0] if settings[1] else '?'})")
    return ", ".join(parts)


def seconds(text: str) -> float:
    """A pause in seconds, 0 to MAX_PAUSE_S."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 <= value <= MAX_PAUSE_S:
        raise argparse.ArgumentTypeError(f"expected 0 to {MAX_PAUSE_S:g} seconds, got {text!r}")
    return value


def span(text: str) -> tuple[float, float]:
    """``MIN,MAX`` seconds."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX in seconds, got {text!r}") from None
    if not 0 <= low <= high <= MAX_PAUSE_S:
        raise argparse.ArgumentTypeError(
            f"expected 0 <= MIN <= MAX <= {MAX_PAUSE_S:g} seconds, got {text!r}")
    return low, high


def roster_sizes(text: str) -> list[int]:
    """``8,15,30``: roster sizes from 1 to 1,000 members."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 8,15,30, got {text!r}") from None
    if not all(1 <= size <= 1000 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected 1 to 1000 members each, got {text!r}")
    return sizes


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {text!r}")
    return value


SCENARIOS = ("encrypt", "steady", "room", "burst", "close", "sync")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.meeting", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--phones", type=int, default=1000, help="phones in the steady run")
    parser.add_argument("--concurrency", type=int, default=64, help="phones at a time (steady)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="turns the product and the baselines take (steady)")
    parser.add_argument("--members", type=int, default=12, help="roster size on the ballots")
    parser.add_argument("--room-phones", type=int, default=P99_TARGET_PHONES,
                        help="phones voting at once in the room")
    parser.add_argument("--room-rounds", type=int, default=3,
                        help="meetings played one after another (room)")
    parser.add_argument("--arrival", type=seconds, default=5.0,
                        help="seconds within which the room's phones scan their slips")
    parser.add_argument("--reading", type=span, default=(3.0, 10.0),
                        help="seconds a person spends on the ballot, as MIN,MAX (room)")
    parser.add_argument("--reviewing", type=span, default=(1.0, 4.0),
                        help="seconds a person looks at the review page, as MIN,MAX (room)")
    parser.add_argument("--burst-phones", type=int, default=1000)
    parser.add_argument("--close-ballots", type=positive, default=10_000,
                        help="encrypted ballots in the box closed and verified (close)")
    parser.add_argument("--close-members", type=positive, default=30)
    parser.add_argument("--encrypt-members", type=roster_sizes, default=[8, 12, 15, 30],
                        help="roster sizes to time encryption at, as 8,15,30 (encrypt)")
    parser.add_argument("--encryptions", type=positive, default=300,
                        help="ballots encrypted per roster size (encrypt)")
    parser.add_argument("--sync-commits", type=positive, default=500,
                        help="commits per synchronous mode (sync)")
    parser.add_argument("--sync-blob", type=positive, default=4096,
                        help="bytes of the ballot blob each commit inserts (sync)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default: deploy/gunicorn.conf.py)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated choices")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    chosen = set(SCENARIOS) if args.scenario == "all" else {args.scenario}
    workers = args.workers or f"{os.environ.get('BALLOT_WORKERS', 'deploy default')}"
    threads = args.threads or f"{os.environ.get('BALLOT_THREADS', 'deploy default')}"
    print(f"Meeting benchmark: {machine_line(dbs)}")
    print(f"gunicorn -c deploy/gunicorn.conf.py, workers {workers}, threads {threads}; "
          f"access log on; load generator: aiohttp in one process on the same machine")
    verdicts = Verdicts([], [])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ballot-bench-logs-") as folder:
        def workdir(name: str) -> Path:
            """One folder per scenario and database: its logs and its box key store."""
            path = Path(folder) / name
            path.mkdir()
            return path

        if "encrypt" in chosen:
            encrypt(args)
        for db in dbs:
            if "steady" in chosen:
                steady(db, args, verdicts, workdir(f"steady-{db}"))
            if "room" in chosen:
                room(db, args, verdicts, workdir(f"room-{db}"))
            if "burst" in chosen:
                burst(db, args, verdicts, workdir(f"burst-{db}"))
        if "close" in chosen:
            for db in dbs:
                close(db, args, verdicts, workdir(f"close-{db}"))
        if "sync" in chosen and "sqlite" in dbs:
            sync(args)
    print(f"\n== summary ({time.perf_counter() - started:.0f} s; at the end {load_average()}) ==")
    for label, met in verdicts.targets:
        print(f"  {'met   ' if met else 'MISSED'}  {label}")
    for failure in verdicts.failures:
        print(f"  FAILED  {failure}")
    return 1 if verdicts.failures else 0


if __name__ == "__main__":
    sys.exit(main())
