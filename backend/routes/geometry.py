"""Pure route arithmetic: a day's visits as legs with distances and gaps, and the ordering of a
day's planned stops (exact for a few stops; nearest neighbour, then 2-opt beyond). No database,
no Flask.

Distances are geodesic (`core.geo.distance_m`); callers may pass another metric for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import permutations

from ..core.geo import distance_m

Point = tuple[float, float]
Metric = Callable[[Point, Point], float]


# --- a day's route -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """One visit as the route sees it: where and when the rep arrived and left."""

    checked_in_at: datetime
    check_in: Point
    checked_out_at: datetime | None = None
    check_out: Point | None = None


@dataclass
class Leg:
    """A visit and the way to it from the previous one."""

    minutes_on_site: float | None  # None when the rep never checked out
    travel_m: float | None  # from the previous visit's check-out (or check-in) position
    gap_minutes: float | None  # previous check-out (or check-in) → this check-in
    idle: bool = False  # the gap is longer than the idle threshold


@dataclass
class RouteSummary:
    legs: list[Leg] = field(default_factory=list)
    travel_m: float = 0.0
    on_site_minutes: float = 0.0
    idle_minutes: float = 0.0
    first_check_in: datetime | None = None
    last_check_out: datetime | None = None


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def route(stops: Sequence[Stop], idle_after_minutes: float = 60, metric: Metric = distance_m) -> RouteSummary:
    """Legs of a day's visits in check-in order. Travel runs from where the rep left the previous
    store (its check-out position, else its check-in) to the next check-in; the gap is the time
    between them, idle when longer than `idle_after_minutes` (travel included: a long drive shows)."""
    ordered = sorted(stops, key=lambda s: s.checked_in_at)
    out = RouteSummary()
    previous: Stop | None = None
    for stop in ordered:
        on_site = _minutes(stop.checked_in_at, stop.checked_out_at) if stop.checked_out_at else None
        travel = gap = None
        idle = False
        if previous is not None:
            left_at = previous.checked_out_at or previous.checked_in_at
            left_from = previous.check_out or previous.check_in
            travel = metric(left_from, stop.check_in)
            gap = max(0.0, _minutes(left_at, stop.checked_in_at))
            idle = gap > idle_after_minutes
            out.travel_m += travel
            if idle:
                out.idle_minutes += gap
        out.on_site_minutes += on_site or 0.0
        out.legs.append(Leg(on_site, travel, gap, idle))
        previous = stop
    if ordered:
        out.first_check_in = ordered[0].checked_in_at
        outs = [s.checked_out_at for s in ordered if s.checked_out_at]
        out.last_check_out = max(outs) if outs else None
    return out


# --- ordering a day's plan -----------------------------------------------------------------------


def path_length(
    start: Point | None, points: Sequence[Point], order: Sequence[int], metric: Metric = distance_m
) -> float:
    """Metres along `points` in `order`, from `start` when given (an open path: no way back)."""
    total = 0.0
    previous = start
    for i in order:
        if previous is not None:
            total += metric(previous, points[i])
        previous = points[i]
    return total


def _nearest_neighbour(
    start: Point | None, points: Sequence[Point], d: list[list[float]], ds: list[float]
) -> list[int]:
    left = set(range(len(points)))
    if start is not None:
        current = min(left, key=lambda j: (ds[j], j))
    else:
        current = 0
    order = [current]
    left.discard(current)
    while left:
        current = min(left, key=lambda j: (d[current][j], j))
        order.append(current)
        left.discard(current)
    return order


def _two_opt(order: list[int], d: list[list[float]], ds: list[float] | None) -> list[int]:
    """Reverse segments while that shortens the open path (first improvement, until none does)."""

    def cost(a: int | None, b: int | None) -> float:
        if b is None:  # past the last stop: an open path ends there
            return 0.0
        if a is None:  # before the first stop: from the start point, if any
            return ds[b] if ds is not None else 0.0
        return d[a][b]

    order = list(order)
    n = len(order)
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            before = order[i - 1] if i > 0 else None
            for k in range(i + 1, n):
                after = order[k + 1] if k + 1 < n else None
                old = cost(before, order[i]) + cost(order[k], after)
                new = cost(before, order[k]) + cost(order[i], after)
                if new < old - 1e-9:
                    order[i : k + 1] = reversed(order[i : k + 1])
                    improved = True
    return order


EXACT_UP_TO = 7  # stops: every order is tried (7! = 5,040), a typical day's plan is exact


def best_order(start: Point | None, points: Sequence[Point], metric: Metric = distance_m) -> list[int]:
    """An order of `points` (indices) that shortens the open path from `start`.

    Up to `EXACT_UP_TO` stops, the shortest order (all orders tried). Beyond, nearest neighbour
    improved by 2-opt, and also the given order improved by 2-opt; the shorter wins. Either
    way the answer is never longer than the order given (ties keep the earlier candidate)."""
    n = len(points)
    if n <= 1:
        return list(range(n))
    d = [[0.0 if i == j else metric(points[i], points[j]) for j in range(n)] for i in range(n)]
    ds = [metric(start, p) for p in points] if start is not None else None

    def length(order) -> float:
        total = ds[order[0]] if ds is not None else 0.0
        return total + sum(d[a][b] for a, b in zip(order, order[1:], strict=False))

    if n <= EXACT_UP_TO:
        return list(min(permutations(range(n)), key=length))  # the given order comes first
    candidates = [
        _two_opt(_nearest_neighbour(start, points, d, ds or [0.0] * n), d, ds),
        _two_opt(list(range(n)), d, ds),
    ]
    return min(candidates, key=length)
