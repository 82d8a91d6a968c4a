"""bench_peer.py's figures: each read's runs added up per side, and the tables printed."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, field

from peer_load import RunResult, percentile
from peer_reads import Read


@dataclass
class Tally:
    """Every timed run of one read on one side."""

    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    postgres_cpu: float | None = 0.0
    client_cpu: float = 0.0
    rates: list[float] = field(default_factory=list)
    first_failure: str | None = None
    cache_hits: int = 0

    def add(self, run: RunResult, server: float, postgres: float | None, client: float) -> None:
        self.requests += run.requests
        self.failures += run.failures
        self.seconds += run.seconds
        self.latencies += run.latencies
        self.server_cpu += server
        self.postgres_cpu = (
            None
            if postgres is None or self.postgres_cpu is None
            else (self.postgres_cpu + postgres)
        )
        self.client_cpu += client
        self.rates.append(run.per_second)
        self.first_failure = self.first_failure or run.first_failure
        self.cache_hits += run.cache_hits

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def per_request_ms(self, seconds: float | None) -> float | None:
        return None if seconds is None or not self.requests else seconds / self.requests * 1000


@dataclass
class Result:
    read: Read
    rows: int
    loaded: dict[str, Tally]
    single: dict[str, Tally]


def _ms(value: float | None, width: int, decimals: int = 1) -> str:
    return f"{'n/a':>{width}}" if value is None else f"{value:>{width}.{decimals}f}"


def report(results: list[Result], args: argparse.Namespace) -> bool:
    """Print the tables; True when every request of every run succeeded."""
    clean = True
    name_width = max(len(r.read.name) for r in results) + 2
    print(
        f"\n{args.clients} clients, {args.rounds} x {args.seconds:.0f} s per side, alternating; "
        f"ours with its response cache {'ON (warm)' if args.response_cache else 'off'}; "
        "CPU per request in ms (server: the process and its children)"
    )
    header = (
        f"{'read':<{name_width}}{'side':<6}{'req/s':>9}{'spread':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'server CPU':>12}{'PG CPU':>9}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        for side in ("ours", "peer"):
            tally = result.loaded[side]
            spread = (
                (max(tally.rates) - min(tally.rates)) / statistics.mean(tally.rates) * 100
                if tally.rates and statistics.mean(tally.rates)
                else 0.0
            )
            clean &= not tally.failures
            print(
                f"{result.read.name if side == 'ours' else '':<{name_width}}{side:<6}"
                f"{tally.per_second:>9.1f}{spread:>7.0f}%"
                f"{percentile(tally.latencies, 0.5):>9.1f}{percentile(tally.latencies, 0.99):>9.1f}"
                f"{_ms(tally.per_request_ms(tally.server_cpu), 12, 2)}"
                f"{_ms(tally.per_request_ms(tally.postgres_cpu), 9, 2)}"
                f"{tally.failures:>8}"
            )
        ours, peer = result.loaded["ours"], result.loaded["peer"]
        ratio = ours.per_second / peer.per_second if peer.per_second else float("nan")
        cpu_ratio = (
            ours.server_cpu / ours.requests / (peer.server_cpu / peer.requests)
            if ours.requests and peer.requests and peer.server_cpu
            else float("nan")
        )
        rounds = " ".join(f"{a / b:.2f}" for a, b in zip(ours.rates, peer.rates, strict=True) if b)
        print(
            f"{'':<{name_width}}{'ours/peer req/s':<23}{ratio:>6.2f}x"
            f"  (rounds {rounds}); server CPU per request {cpu_ratio:.2f}x"
        )
    print(f"\nOne client alone, {args.single_seconds:.0f} s per side (ms); the goal is our p50")
    header = (
        f"{'read':<{name_width}}{'ours p50':>10}{'p99':>8}{'peer p50':>10}{'p99':>8}"
        f"{'ours/peer':>11}{'goal':>8}{'':>8}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        ours, peer = result.single["ours"], result.single["peer"]
        clean &= not (ours.failures or peer.failures)
        p50, peer_p50 = percentile(ours.latencies, 0.5), percentile(peer.latencies, 0.5)
        print(
            f"{result.read.name:<{name_width}}"
            f"{p50:>10.1f}{percentile(ours.latencies, 0.99):>8.1f}"
            f"{peer_p50:>10.1f}{percentile(peer.latencies, 0.99):>8.1f}"
            f"{p50 / peer_p50:>10.2f}x"
            f"{'< ' + format(result.read.goal_p50_ms, '.0f'):>8}"
            f"{'met' if p50 < result.read.goal_p50_ms else 'missed':>8}"
        )
    requests = sum(t.requests for r in results for t in (*r.loaded.values(), *r.single.values()))
    client = sum(t.client_cpu for r in results for t in (*r.loaded.values(), *r.single.values()))
    if requests:
        print(f"\nload generator CPU per request: {client / requests * 1000:.2f} ms")
    hits = sum(t.cache_hits for r in results for t in (r.loaded["ours"], r.single["ours"]))
    ours_requests = sum(t.requests for r in results for t in (r.loaded["ours"], r.single["ours"]))
    if args.response_cache:
        print(f"ours answered {hits:,} of {ours_requests:,} requests from its response cache")
    elif hits:
        clean = False
        print(
            f"ERRORS ours answered {hits:,} of {ours_requests:,} requests from its response "
            "cache although it was turned off: not every request was executed"
        )
    for result in results:
        for kind, tallies in (("loaded", result.loaded), ("single", result.single)):
            for side, tally in tallies.items():
                if tally.failures:
                    print(
                        f"ERRORS {result.read.name} {side} ({kind}): {tally.failures} failed "
                        f"requests; the first: {tally.first_failure}"
                    )
    return clean
