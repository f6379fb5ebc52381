"""Street graphs of the demo cities: real squares and junctions joined by the streets between them, so
demo addresses lie on streets and simulated drivers drive along them instead of through buildings.

Coordinates are approximate (a few tens of metres); routes follow the graph, not every turn of a street.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import random
from collections.abc import Iterator

EARTH_RADIUS_M = 6_371_000


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    y = math.sin(lng2 - lng1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lng2 - lng1)
    return (math.degrees(math.atan2(y, x)) + 360) % 360


@dataclasses.dataclass(frozen=True)
class Address:
    street: str
    number: int
    lat: float
    lng: float
    city: str

    @property
    def line(self) -> str:
        return f"{self.street} {self.number}, {self.city}"

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lng)


@dataclasses.dataclass(frozen=True)
class City:
    name: str
    center: tuple[float, float]
    radius_m: int  # the fleet's service circle
    places: dict[str, tuple[float, float]]
    streets: dict[str, tuple[str, ...]]  # street name -> the places it joins, in order

    def edges(self) -> Iterator[tuple[str, str, str]]:
        for street, places in self.streets.items():
            for a, b in itertools.pairwise(places):
                yield street, a, b

    def address(self, rng: random.Random) -> Address:
        """A house on a street segment (numbers are plausible, not surveyed)."""
        street, a, b = rng.choice(list(self.edges()))
        t = rng.uniform(0.1, 0.9)
        (lat1, lng1), (lat2, lng2) = self.places[a], self.places[b]
        return Address(street, rng.randint(1, 180), lat1 + (lat2 - lat1) * t, lng1 + (lng2 - lng1) * t, self.name)

    def nearest_place(self, point: tuple[float, float]) -> str:
        return min(self.places, key=lambda p: metres(self.places[p], point))

    def route(self, start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
        """The way from one point to another along the streets (shortest by length), ends included."""
        graph: dict[str, list[tuple[str, float]]] = {}
        for _, a, b in self.edges():
            d = metres(self.places[a], self.places[b])
            graph.setdefault(a, []).append((b, d))
            graph.setdefault(b, []).append((a, d))
        source, target = self.nearest_place(start), self.nearest_place(end)
        best, previous, queue = {source: 0.0}, {}, [(0.0, source)]
        while queue:
            dist, node = heapq.heappop(queue)
            if node == target:
                break
            if dist > best[node]:
                continue
            for nxt, d in graph.get(node, ()):
                if dist + d < best.get(nxt, math.inf):
                    best[nxt], previous[nxt] = dist + d, node
                    heapq.heappush(queue, (dist + d, nxt))
        path, node = [target], target
        while node != source and node in previous:
            node = previous[node]
            path.append(node)
        return [start, *(self.places[p] for p in reversed(path)), end]


def along(path: list[tuple[float, float]], distance_m: float) -> tuple[tuple[float, float], float, bool]:
    """Where a driver is after `distance_m` along `path`: (position, heading, arrived)."""
    for a, b in itertools.pairwise(path):
        leg = metres(a, b)
        if distance_m <= leg and leg > 0:
            t = distance_m / leg
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), bearing(a, b), False
        distance_m -= leg
    last = path[-1]
    heading = bearing(path[-2], last) if len(path) > 1 and path[-2] != last else 0.0
    return last, heading, True


BERLIN = City(
    name="Berlin",
    center=(52.515, 13.395),
    radius_m=12_000,
    places={
        "Alexanderplatz": (52.5219, 13.4132),
        "Hackescher Markt": (52.5225, 13.4022),
        "Schlossbrücke": (52.5175, 13.3990),
        "Friedrichstraße/Unter den Linden": (52.5170, 13.3889),
        "Brandenburger Tor": (52.5163, 13.3777),
        "Potsdamer Platz": (52.5096, 13.3760),
        "Leipziger Straße/Friedrichstraße": (52.5100, 13.3895),
        "Spittelmarkt": (52.5110, 13.4040),
        "Checkpoint Charlie": (52.5075, 13.3904),
        "Hallesches Tor": (52.4977, 13.3917),
        "Mehringdamm": (52.4936, 13.3881),
        "Kottbusser Tor": (52.4991, 13.4180),
        "Moritzplatz": (52.5036, 13.4107),
        "Hermannplatz": (52.4868, 13.4246),
        "Schlesisches Tor": (52.5010, 13.4420),
        "Warschauer Brücke": (52.5058, 13.4497),
        "Ostbahnhof": (52.5105, 13.4346),
        "Strausberger Platz": (52.5180, 13.4316),
        "Frankfurter Tor": (52.5158, 13.4541),
        "Rosa-Luxemburg-Platz": (52.5271, 13.4105),
        "Rosenthaler Platz": (52.5297, 13.4013),
        "Oranienburger Tor": (52.5275, 13.3876),
        "Bahnhof Friedrichstraße": (52.5202, 13.3869),
        "Hauptbahnhof": (52.5251, 13.3694),
        "Nordbahnhof": (52.5325, 13.3885),
        "Senefelderplatz": (52.5325, 13.4128),
        "Eberswalder Straße": (52.5415, 13.4122),
        "Bernauer Straße/Brunnenstraße": (52.5379, 13.3964),
        "Großer Stern": (52.5145, 13.3501),
        "Ernst-Reuter-Platz": (52.5127, 13.3220),
        "Zoologischer Garten": (52.5069, 13.3323),
        "Wittenbergplatz": (52.5019, 13.3426),
        "Nollendorfplatz": (52.4996, 13.3537),
        "Yorckstraße": (52.4924, 13.3705),
        "Südstern": (52.4891, 13.4076),
    },
    streets={
        "Unter den Linden": ("Brandenburger Tor", "Friedrichstraße/Unter den Linden", "Schlossbrücke"),
        "Karl-Liebknecht-Straße": ("Schlossbrücke", "Alexanderplatz"),
        "Karl-Marx-Allee": ("Alexanderplatz", "Strausberger Platz", "Frankfurter Tor"),
        "Friedrichstraße": (
            "Oranienburger Tor",
            "Bahnhof Friedrichstraße",
            "Friedrichstraße/Unter den Linden",
            "Leipziger Straße/Friedrichstraße",
            "Checkpoint Charlie",
            "Hallesches Tor",
        ),
        "Leipziger Straße": ("Potsdamer Platz", "Leipziger Straße/Friedrichstraße", "Spittelmarkt"),
        "Ebertstraße": ("Brandenburger Tor", "Potsdamer Platz"),
        "Torstraße": ("Oranienburger Tor", "Rosenthaler Platz", "Rosa-Luxemburg-Platz"),
        "Oranienburger Straße": ("Oranienburger Tor", "Hackescher Markt"),
        "Rosenthaler Straße": ("Rosenthaler Platz", "Hackescher Markt"),
        "Spandauer Straße": ("Hackescher Markt", "Schlossbrücke"),
        "Invalidenstraße": ("Hauptbahnhof", "Nordbahnhof", "Rosenthaler Platz"),
        "Brunnenstraße": ("Rosenthaler Platz", "Bernauer Straße/Brunnenstraße"),
        "Bernauer Straße": ("Bernauer Straße/Brunnenstraße", "Eberswalder Straße"),
        "Schönhauser Allee": ("Rosa-Luxemburg-Platz", "Senefelderplatz", "Eberswalder Straße"),
        "Straße des 17. Juni": ("Brandenburger Tor", "Großer Stern", "Ernst-Reuter-Platz"),
        "Hardenbergstraße": ("Ernst-Reuter-Platz", "Zoologischer Garten"),
        "Tauentzienstraße": ("Zoologischer Garten", "Wittenbergplatz", "Nollendorfplatz"),
        "Yorckstraße": ("Nollendorfplatz", "Yorckstraße", "Mehringdamm"),
        "Mehringdamm": ("Mehringdamm", "Hallesches Tor"),
        "Skalitzer Straße": ("Hallesches Tor", "Kottbusser Tor", "Schlesisches Tor"),
        "Oranienstraße": ("Moritzplatz", "Kottbusser Tor"),
        "Axel-Springer-Straße": ("Spittelmarkt", "Moritzplatz"),
        "Heinrich-Heine-Straße": ("Moritzplatz", "Ostbahnhof"),
        "Kottbusser Damm": ("Kottbusser Tor", "Hermannplatz"),
        "Hasenheide": ("Hermannplatz", "Südstern"),
        "Gneisenaustraße": ("Südstern", "Mehringdamm"),
        "Mühlenstraße": ("Ostbahnhof", "Warschauer Brücke"),
        "Warschauer Straße": ("Warschauer Brücke", "Frankfurter Tor"),
        "Oberbaumbrücke": ("Schlesisches Tor", "Warschauer Brücke"),
        "Potsdamer Straße": ("Potsdamer Platz", "Nollendorfplatz"),
        "Grunerstraße": ("Alexanderplatz", "Spittelmarkt"),
        "Andreasstraße": ("Strausberger Platz", "Ostbahnhof"),
        "Reinhardtstraße": ("Bahnhof Friedrichstraße", "Hauptbahnhof"),
    },
)

LONDON = City(
    name="London",
    center=(51.512, -0.115),
    radius_m=10_000,
    places={
        "Trafalgar Square": (51.5080, -0.1281),
        "Piccadilly Circus": (51.5101, -0.1340),
        "Oxford Circus": (51.5152, -0.1418),
        "Marble Arch": (51.5131, -0.1589),
        "Hyde Park Corner": (51.5027, -0.1527),
        "Victoria": (51.4952, -0.1441),
        "Westminster": (51.5010, -0.1246),
        "Waterloo": (51.5031, -0.1132),
        "Elephant and Castle": (51.4946, -0.1003),
        "London Bridge": (51.5052, -0.0864),
        "Bank": (51.5133, -0.0890),
        "St Paul's": (51.5138, -0.0984),
        "Blackfriars": (51.5116, -0.1035),
        "Aldwych": (51.5129, -0.1170),
        "Holborn": (51.5174, -0.1201),
        "Tottenham Court Road": (51.5165, -0.1310),
        "Euston": (51.5282, -0.1337),
        "King's Cross": (51.5308, -0.1238),
        "Angel": (51.5322, -0.1058),
        "Old Street": (51.5263, -0.0878),
        "Liverpool Street": (51.5178, -0.0823),
        "Aldgate": (51.5143, -0.0755),
    },
    streets={
        "Oxford Street": ("Marble Arch", "Oxford Circus", "Tottenham Court Road"),
        "Regent Street": ("Oxford Circus", "Piccadilly Circus"),
        "Piccadilly": ("Hyde Park Corner", "Piccadilly Circus"),
        "Park Lane": ("Marble Arch", "Hyde Park Corner"),
        "Grosvenor Place": ("Hyde Park Corner", "Victoria"),
        "Victoria Street": ("Victoria", "Westminster"),
        "Whitehall": ("Westminster", "Trafalgar Square"),
        "Haymarket": ("Piccadilly Circus", "Trafalgar Square"),
        "Strand": ("Trafalgar Square", "Aldwych"),
        "Fleet Street": ("Aldwych", "Blackfriars", "St Paul's"),
        "Cheapside": ("St Paul's", "Bank"),
        "Westminster Bridge Road": ("Westminster", "Waterloo"),
        "Waterloo Road": ("Waterloo", "Elephant and Castle"),
        "Borough High Street": ("Elephant and Castle", "London Bridge"),
        "King William Street": ("London Bridge", "Bank"),
        "Bishopsgate": ("Bank", "Liverpool Street", "Old Street"),
        "Leadenhall Street": ("Bank", "Aldgate"),
        "City Road": ("Old Street", "Angel"),
        "Pentonville Road": ("Angel", "King's Cross"),
        "Euston Road": ("King's Cross", "Euston"),
        "Tottenham Court Road": ("Euston", "Tottenham Court Road"),
        "High Holborn": ("Tottenham Court Road", "Holborn"),
        "Kingsway": ("Holborn", "Aldwych"),
        "Holborn Viaduct": ("Holborn", "St Paul's"),
        "Charing Cross Road": ("Tottenham Court Road", "Trafalgar Square"),
        "Blackfriars Road": ("Blackfriars", "Elephant and Castle"),
    },
)

CITIES = {"berlin": BERLIN, "london": LONDON}
