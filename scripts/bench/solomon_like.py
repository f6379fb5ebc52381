#!/usr/bin/env python
"""Solomon-style VRPTW instances for held-out benchmarking: 100 customers, classes R1, R2, C1, C2, RC1, RC2.

    .venv/bin/python scripts/bench/solomon_like.py [--per-class 4] [--classes R1,C2] [--seed 1] [--out DIR]

Writes one Solomon text file per instance and `manifest.json` (seeds, class, parameters, generator version) into
DIR (default var/bench/solomon_like/seed-<seed>/). Everything follows from --seed: the same seed gives the same
files byte for byte. The scheme follows the published description of Solomon (1987) and is documented, with its
differences from the originals, in docs/benchmarks.md ("Held-out instances"); scripts/bench/routing.py
--generated N runs the solvers on these instances.

Written for this project from that description, not from anyone's generator code.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import platform
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR_VERSION = 1
CLASSES = ("R1", "R2", "C1", "C2", "RC1", "RC2")
CUSTOMERS = 100
FLEET = 25  # every Solomon file offers 25 vehicles
MAX_ATTEMPTS = 40  # redraws of the time windows when the insertion check needs more than the fleet


@dataclasses.dataclass(frozen=True)
class Windows:
    """One time-window pattern: `density` % of the customers get a window of mean width `width` (standard
    deviation `spread`, 0 = all equally wide); the others get the whole day they can be served in."""

    density: int
    width: float
    spread: float = 0.0


@dataclasses.dataclass(frozen=True)
class ClassSpec:
    kind: str  # geography: R uniform, C clustered, RC half of each
    depot: tuple[int, int]
    horizon: int  # the depot's due date; the depot opens at 0
    capacity: int
    service: int
    patterns: tuple[Windows, ...]  # instance i of a class takes pattern i mod len(patterns)


def _densities(width: float, spread: float = 0.0) -> tuple[Windows, ...]:
    """Solomon's 100/75/50/25 % density series at one width."""
    return tuple(Windows(d, width, spread) for d in (100, 75, 50, 25))


# Depots, horizons, capacities and service times are Solomon's; the patterns mirror the published sets' series
# (four densities at a tight width, four at a wider one, then all-windowed sets of varying or wide windows).
SPECS: dict[str, ClassSpec] = {
    "R1": ClassSpec(
        "R",
        (35, 35),
        230,
        200,
        10,
        (
            *_densities(10),
            *_densities(30),
            Windows(100, 60, 15),
            Windows(100, 90, 25),
            Windows(100, 75, 20),
            Windows(100, 120, 30),
        ),
    ),
    "R2": ClassSpec(
        "R",
        (35, 35),
        1000,
        1000,
        10,
        (
            *_densities(115, 35),
            *_densities(240),
            Windows(100, 350, 90),
            Windows(100, 480, 120),
            Windows(100, 290, 70),
            Windows(100, 600, 120),
        ),
    ),
    "C1": ClassSpec(
        "C",
        (40, 50),
        1236,
        200,
        90,
        (*_densities(60, 10), Windows(100, 120, 20), Windows(100, 90, 40), Windows(100, 180), Windows(100, 240, 30)),
    ),
    "C2": ClassSpec(
        "C",
        (40, 50),
        3390,
        700,
        90,
        (*_densities(160), Windows(100, 320), Windows(100, 320, 120), Windows(100, 640), Windows(100, 640, 160)),
    ),
    "RC1": ClassSpec(
        "RC",
        (40, 50),
        240,
        200,
        10,
        (*_densities(30), Windows(100, 45, 20), Windows(100, 60), Windows(100, 75, 30), Windows(100, 120, 30)),
    ),
    "RC2": ClassSpec(
        "RC",
        (40, 50),
        960,
        1000,
        10,
        (*_densities(120), Windows(100, 180, 80), Windows(100, 240), Windows(100, 300, 120), Windows(100, 480, 100)),
    ),
}

# Geography: boxes and clusters (C2's customers are more spread out than C1's in Solomon's files too).
R_BOX = (0, 70, 0, 80)
C_BOX = (0, 95, 0, 85)
CLUSTERS = {"C1": (10, 3.0), "C2": (10, 5.0), "RC": (8, 4.0)}  # count, standard deviation around the centre
C_DEMANDS = ((10, 52), (20, 26), (30, 13), (40, 7), (50, 2))  # value, weight: C's multiples of ten


@dataclasses.dataclass(frozen=True)
class Instance:
    name: str
    cls: str
    coords: tuple[tuple[int, int], ...]  # node 0 is the depot
    demands: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    capacity: int
    vehicles: int
    pattern: Windows
    attempts: int  # how many window draws it took until the insertion check fitted the fleet
    check_vehicles: int  # vehicles of the feasible plan that proves the instance solvable

    def text(self) -> str:
        head = (
            f"{self.name}\n\nVEHICLE\nNUMBER     CAPACITY\n{self.vehicles:>4}{self.capacity:>12}\n\nCUSTOMER\n"
            "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n \n"
        )
        rows = (
            f"{i:>5}{x:>9}{y:>9}{q:>11}{e:>11}{due:>11}{s:>11}\n"
            for i, ((x, y), q, e, due, s) in enumerate(
                zip(self.coords, self.demands, self.ready, self.due, self.service, strict=True)
            )
        )
        return head + "".join(rows)


def rng_for(seed: int, part: str, index: int) -> random.Random:
    """A string seed is hashed with SHA-512 by `random`, so streams do not depend on PYTHONHASHSEED."""
    return random.Random(f"solomon_like/v{GENERATOR_VERSION}/{seed}/{part}/{index}")


def geography_key(cls: str) -> str:
    """R1 and R2 share customers (as Solomon's do), so do RC1 and RC2; C1 and C2 differ (as Solomon's do)."""
    kind = SPECS[cls].kind
    return cls if kind == "C" else kind


def _unique_point(rnd: random.Random, taken: set[tuple[int, int]], draw) -> tuple[int, int]:
    while True:
        point = draw()
        if point not in taken:
            taken.add(point)
            return point


def _clustered(rnd: random.Random, count: int, clusters: int, sd: float, taken: set) -> list[tuple[int, int]]:
    x0, x1, y0, y1 = C_BOX
    centres: list[tuple[float, float]] = []
    while len(centres) < clusters:  # centres apart, so that clusters stay distinct
        c = (rnd.uniform(x0 + 5, x1 - 5), rnd.uniform(y0 + 5, y1 - 5))
        if all(math.dist(c, o) >= 18 for o in centres):
            centres.append(c)
    sizes = [1] * clusters
    for _ in range(count - clusters):
        sizes[rnd.randrange(clusters)] += 1
    points = []
    for (cx, cy), size in zip(centres, sizes, strict=True):
        for _ in range(size):

            def near(cx=cx, cy=cy):
                x = min(x1, max(x0, round(rnd.gauss(cx, sd))))
                return x, min(y1, max(y0, round(rnd.gauss(cy, sd))))

            points.append(_unique_point(rnd, taken, near))
    return points


def _r_demand(rnd: random.Random, most: int) -> int:
    """Skewed to small loads: mean about 15 of at most 41, as in Solomon's R files."""
    return 1 + int(most * rnd.random() ** 1.8)


def _c_demand(rnd: random.Random, values=C_DEMANDS) -> int:
    return rnd.choices([v for v, _ in values], weights=[w for _, w in values])[0]


def geography(cls: str, seed: int, index: int) -> tuple[list[tuple[int, int]], list[int], list[bool]]:
    """Customers' places and demands, and which customers sit in a cluster."""
    spec = SPECS[cls]
    rnd = rng_for(seed, "places-" + geography_key(cls), index)
    taken = {spec.depot}
    if spec.kind == "R":
        x0, x1, y0, y1 = R_BOX
        points = [
            _unique_point(rnd, taken, lambda: (rnd.randint(x0, x1), rnd.randint(y0, y1))) for _ in range(CUSTOMERS)
        ]
        return points, [_r_demand(rnd, 40) for _ in points], [False] * CUSTOMERS
    if spec.kind == "C":
        clusters, sd = CLUSTERS[cls]
        points = _clustered(rnd, CUSTOMERS, clusters, sd, taken)
        return points, [_c_demand(rnd) for _ in points], [True] * CUSTOMERS
    clusters, sd = CLUSTERS["RC"]
    half = CUSTOMERS // 2
    points = _clustered(rnd, half, clusters, sd, taken)
    x0, x1, y0, y1 = C_BOX
    points += [_unique_point(rnd, taken, lambda: (rnd.randint(x0, x1), rnd.randint(y0, y1))) for _ in range(half)]
    demands = [_c_demand(rnd, C_DEMANDS[:4]) for _ in range(half)] + [_r_demand(rnd, 39) for _ in range(half)]
    return points, demands, [True] * half + [False] * half


class _Net:
    """Distances and the latest service start of each customer from which the depot is still reached in time."""

    def __init__(self, coords: Sequence[tuple[int, int]], service: int, horizon: int):
        self.n = len(coords)
        self.d = [[math.dist(a, b) for b in coords] for a in coords]
        self.service = service
        self.horizon = horizon
        self.latest = [0] + [math.floor(horizon - service - self.d[i][0]) for i in range(1, self.n)]


def _width(rnd: random.Random, pattern: Windows) -> float:
    if not pattern.spread:
        return pattern.width
    return max(10.0, rnd.gauss(pattern.width, pattern.spread))


def _window(net: _Net, i: int, centre: float, width: float) -> tuple[int, int]:
    """A window `width` wide (whole units, like Solomon's) around `centre`, clipped to what the customer can be
    served in: from 0 to the latest start that still gets the vehicle home. Widths are at least 10, so the window
    always contains `centre` (and so the arrival time it was drawn around)."""
    ready = math.floor(centre - width / 2)
    return max(0, ready), min(net.latest[i], ready + round(width))


def _nearest_neighbour_routes(net: _Net, demands: Sequence[int], capacity: int) -> list[list[int]]:
    """Routes built by driving to the nearest unvisited customer (so cluster by cluster), a new vehicle when the load
    or the day is full, each then shortened by 2-opt. Arrival times without waiting keep one second of slack."""
    left = set(range(1, net.n))
    routes = []
    while left:
        route, load, t, here = [], 0, 0.0, 0
        while True:
            fits = [
                j
                for j in left
                if load + demands[j] <= capacity and t + net.d[here][j] + net.service + net.d[j][0] <= net.horizon - 1
            ]
            if not fits:
                break
            j = min(fits, key=lambda j: (net.d[here][j], j))
            route.append(j)
            left.remove(j)
            load += demands[j]
            t += net.d[here][j] + net.service
            here = j
        if not route:
            raise ValueError("a customer cannot be served within the horizon")
        routes.append(_two_opt(net, route))
    return routes


def _two_opt(net: _Net, route: list[int]) -> list[int]:
    """Shorter by reversing segments (no windows yet, and a shorter round comes home earlier)."""
    tour = [0, *route, 0]
    improved = True
    while improved:
        improved = False
        for a in range(len(tour) - 3):
            for b in range(a + 2, len(tour) - 1):
                p, q, r, s = tour[a], tour[a + 1], tour[b], tour[b + 1]
                if net.d[p][r] + net.d[q][s] < net.d[p][q] + net.d[r][s] - 1e-9:
                    tour[a + 1 : b + 1] = reversed(tour[a + 1 : b + 1])
                    improved = True
    return tour[1:-1]


def insertion_routes(
    d: Sequence[Sequence[float]],
    demands: Sequence[int],
    ready: Sequence[float],
    due: Sequence[float],
    service: Sequence[float],
    capacity: int,
) -> list[list[int]]:
    """A feasible plan by sequential cheapest insertion: open a route with the unrouted customer whose window
    closes first, insert the customer and place that add the least distance while every start stays in its window
    and the vehicle is home by the depot's due date, open the next route when nothing fits. Vehicles leave at the
    depot's ready time (as the benchmark's checker has them)."""
    n = len(demands)
    unrouted = set(range(1, n))
    routes: list[list[int]] = []
    while unrouted:
        first = min(unrouted, key=lambda i: (due[i], i))
        route, load = [first], demands[first]
        unrouted.remove(first)
        while True:
            starts, t, prev = [], ready[0], 0
            for node in route:
                t = max(ready[node], t + d[prev][node])
                starts.append(t)
                t += service[node]
                prev = node
            latest = [0.0] * len(route)  # latest start at each stop that keeps the rest of the route feasible
            z = due[0] - d[route[-1]][0] - service[route[-1]]
            for k in range(len(route) - 1, -1, -1):
                z = min(due[route[k]], z)
                latest[k] = z
                if k:
                    z = z - service[route[k - 1]] - d[route[k - 1]][route[k]]
            best = None
            for u in sorted(unrouted):
                if load + demands[u] > capacity:
                    continue
                for pos in range(len(route) + 1):
                    p = route[pos - 1] if pos else 0
                    q = route[pos] if pos < len(route) else 0
                    leave = starts[pos - 1] + service[p] if pos else ready[0]
                    start = max(ready[u], leave + d[p][u])
                    if start > due[u]:
                        continue
                    arrive = start + service[u] + d[u][q]
                    if (arrive > due[0]) if q == 0 else (max(ready[q], arrive) > latest[pos]):
                        continue
                    cost = d[p][u] + d[u][q] - d[p][q]
                    if best is None or cost < best[0]:
                        best = (cost, u, pos)
            if best is None:
                break
            _, u, pos = best
            route.insert(pos, u)
            load += demands[u]
            unrouted.remove(u)
        routes.append(route)
    return routes


def generate(cls: str, seed: int, index: int) -> Instance:
    """Instance `index` of class `cls` for `seed`."""
    spec = SPECS[cls]
    points, demands, _ = geography(cls, seed, index)
    coords = [spec.depot, *points]
    demands = [0, *demands]
    net = _Net(coords, spec.service, spec.horizon)
    if any(net.latest[i] < math.ceil(net.d[0][i]) for i in range(1, net.n)):
        raise ValueError(f"{cls}: a customer cannot be reached and left in time")
    pattern = spec.patterns[index % len(spec.patterns)]
    rnd = rng_for(seed, "windows-" + cls, index)
    service = [0] + [spec.service] * CUSTOMERS
    # C: windows around the arrival times of a cluster-by-cluster plan, which therefore stays feasible.
    plan = _nearest_neighbour_routes(net, demands, spec.capacity) if spec.kind == "C" else []
    arrival = [0.0] * net.n
    for route in plan:
        t, here = 0.0, 0
        for j in route:
            t += net.d[here][j]
            arrival[j] = t
            t += spec.service
            here = j
    for attempt in range(1, MAX_ATTEMPTS + 1):
        windowed = set(rnd.sample(range(1, net.n), round(CUSTOMERS * pattern.density / 100)))
        ready, due = [0] * net.n, [spec.horizon, *net.latest[1:]]
        for i in sorted(windowed):
            centre = arrival[i] if plan else rnd.uniform(net.d[0][i], net.latest[i])
            ready[i], due[i] = _window(net, i, centre, _width(rnd, pattern))
        if plan:
            check = plan
        else:
            check = insertion_routes(net.d, demands, ready, due, service, spec.capacity)
        if len(check) <= FLEET:
            return Instance(
                name=instance_name(cls, index),
                cls=cls,
                coords=tuple(coords),
                demands=tuple(demands),
                ready=tuple(ready),
                due=tuple(due),
                service=tuple(service),
                capacity=spec.capacity,
                vehicles=FLEET,
                pattern=pattern,
                attempts=attempt,
                check_vehicles=len(check),
            )
    raise ValueError(f"{cls} #{index}: no window draw fitted {FLEET} vehicles in {MAX_ATTEMPTS} attempts")


def instance_name(cls: str, index: int) -> str:
    """C1-07: the benchmark reads the class from the leading letters and digit."""
    return f"{cls}-{index:02d}"


def default_folder(seed: int) -> Path:
    return ROOT / "var" / "bench" / "solomon_like" / f"seed-{seed}"


def write_set(folder: Path, classes: Sequence[str], per_class: int, seed: int) -> dict:
    """Generate (or keep, when unchanged) `per_class` instances of each class into `folder` and update its
    manifest. References already computed for an identical file are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    old_entries = {e["name"]: e for e in old.get("instances", [])}
    entries = dict(old_entries) if old.get("seed") == seed and old.get("version") == GENERATOR_VERSION else {}
    for cls in classes:
        for index in range(per_class):
            inst = generate(cls, seed, index)
            text = inst.text()
            digest = hashlib.sha256(text.encode()).hexdigest()
            path = folder / f"{inst.name}.txt"
            path.write_text(text)
            previous = entries.get(inst.name, {})
            spec = SPECS[cls]
            entries[inst.name] = {
                "name": inst.name,
                "file": path.name,
                "class": cls,
                "index": index,
                "rng_streams": [
                    f"solomon_like/v{GENERATOR_VERSION}/{seed}/places-{geography_key(cls)}/{index}",
                    f"solomon_like/v{GENERATOR_VERSION}/{seed}/windows-{cls}/{index}",
                ],
                "parameters": {
                    "customers": CUSTOMERS,
                    "geography": spec.kind,
                    "depot": list(spec.depot),
                    "horizon": spec.horizon,
                    "capacity": spec.capacity,
                    "vehicles": FLEET,
                    "service": spec.service,
                    "window_density_percent": inst.pattern.density,
                    "window_width_mean": inst.pattern.width,
                    "window_width_sd": inst.pattern.spread,
                    "total_demand": sum(inst.demands),
                },
                "window_draws": inst.attempts,
                "feasible_with_vehicles": inst.check_vehicles,
                "sha256": digest,
                "reference": previous.get("reference") if previous.get("sha256") == digest else None,
            }
    manifest = {
        "generator": "scripts/bench/solomon_like.py",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "python": platform.python_version(),
        "reference_rule": (
            "reference = the shortest plan, re-checked by apps.dispatch.optimization.solomon.check, that any solver "
            "found in a long run (scripts/bench/routing.py --reference-seconds S); null until computed"
        ),
        "instances": sorted(entries.values(), key=lambda e: (CLASSES.index(e["class"]), e["index"])),
    }
    save_manifest(folder, manifest)
    return manifest


def save_manifest(folder: Path, manifest: dict) -> None:
    tmp = folder / "manifest.json.tmp"
    text = json.dumps(manifest, indent=1)
    # numeric lists (depot, routes) on one line each: readable, and diffs stay small
    text = re.sub(r"\[[\d\s,.\-]*\]", lambda m: json.dumps(json.loads(m.group(0))), text)
    tmp.write_text(text + "\n")
    tmp.replace(folder / "manifest.json")


def parse_classes(text: str) -> list[str]:
    classes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = set(classes) - set(CLASSES)
    if unknown or not classes:
        raise ValueError(f"classes are some of {', '.join(CLASSES)}; not {', '.join(sorted(unknown)) or 'none'}")
    return classes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=4)
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="folder (default var/bench/solomon_like/seed-<seed>)")
    args = parser.parse_args(argv)
    try:
        classes = parse_classes(args.classes)
    except ValueError as exc:
        parser.error(str(exc))
    if args.per_class < 1:
        parser.error("--per-class must be at least 1")
    folder = Path(args.out) if args.out else default_folder(args.seed)
    manifest = write_set(folder, classes, args.per_class, args.seed)
    for e in manifest["instances"]:
        p = e["parameters"]
        print(
            f"{e['name']:<7} density {p['window_density_percent']:>3} %  width {p['window_width_mean']:>5g}"
            f"±{p['window_width_sd']:<4g} feasible with {e['feasible_with_vehicles']:>2} vehicles"
            f" ({e['window_draws']} draw{'s' if e['window_draws'] > 1 else ''})"
        )
    print(f"{len(manifest['instances'])} instances in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
