"""The live-position store: where every on-duty driver is now, per fleet, and the per-fleet feed sequence.

Redis GEO in the full stack (shared by every web process), a process-local store in the embedded default.
Both keep a position only if it is newer than the one held, and forget a driver silent for DISPATCH_LIVE_TTL.
Telemetry never touches the database here; durable history is written in bulk by the ingest service.

It also holds driver presence: which drivers have a driver-app socket open (`presence_*`). Each socket is marked
with a lease its pings and heartbeats renew, so a process that dies without closing its sockets leaves no driver
"connected" for longer than the lease.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

from django.conf import settings

from apps.dispatch.contracts import LivePosition
from apps.dispatch.domain import haversine_m


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def _encode(p: LivePosition) -> str:
    return json.dumps(
        {"lat": p.lat, "lng": p.lng, "at": p.recorded_at.isoformat(), "heading": p.heading, "speed": p.speed_mps}
    )


def _text(reply: bytes | str) -> str:
    """A Redis reply as text (RedisLiveStore's client leaves replies as bytes)."""
    return reply.decode() if isinstance(reply, bytes) else reply


def _decode(fleet_id: uuid.UUID, driver: str, raw: str | bytes) -> LivePosition:
    data = json.loads(raw)
    return LivePosition(
        driver_id=uuid.UUID(driver),
        fleet_id=fleet_id,
        lat=data["lat"],
        lng=data["lng"],
        recorded_at=dt.datetime.fromisoformat(data["at"]),
        heading=data["heading"],
        speed_mps=data["speed"],
    )


# Keep the newest fix per driver: one atomic step per fleet, so concurrent web processes never move a
# driver back in time. Also drops drivers whose last fix is older than the TTL.
_UPDATE = """
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local cutoff = now - ttl
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. cutoff, 'LIMIT', 0, 5000)
for _, d in ipairs(stale) do
  redis.call('ZREM', KEYS[1], d); redis.call('HDEL', KEYS[2], d); redis.call('ZREM', KEYS[3], d)
end
local moved = {}
for i = 3, #ARGV, 5 do
  local driver, at = ARGV[i], tonumber(ARGV[i + 3])
  local held = redis.call('ZSCORE', KEYS[3], driver)
  if at >= cutoff and (not held or tonumber(held) < at) then
    redis.call('GEOADD', KEYS[1], ARGV[i + 1], ARGV[i + 2], driver)
    redis.call('HSET', KEYS[2], driver, ARGV[i + 4])
    redis.call('ZADD', KEYS[3], at, driver)
    moved[#moved + 1] = (i - 3) / 5
  end
end
if #moved > 0 then
  for k = 1, 3 do redis.call('PEXPIRE', KEYS[k], ttl) end
end
return moved
"""

# Remember the newest version of a trip pushed to screens: an event retried late carries an older snapshot, and
# showing it would bring back what the trip has moved on from (a cancelled trip as assigned).
_NEWEST = """
local held = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) < held then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
SCREEN_FORGET_S = 86_400  # a screen registration its process never removed (the process died) is dropped then
TRIP_VERSION_DAYS = 30  # as long as the inbox keeps a delivery (a replayed dead letter is older than that)

_PRUNE = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 5000)
for _, d in ipairs(stale) do
  redis.call('ZREM', KEYS[1], d); redis.call('HDEL', KEYS[2], d); redis.call('ZREM', KEYS[3], d)
end
return #stale
"""


class RedisLiveStore:
    def __init__(self, url: str, prefix: str, ttl_s: int) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix, self.ttl_ms = prefix, ttl_s * 1000
        self._update = self.redis.register_script(_UPDATE)
        self._prune = self.redis.register_script(_PRUNE)
        self._newest = self.redis.register_script(_NEWEST)
        self._claimed: dict[uuid.UUID, float] = {}  # claim_each's keys -> when to ask Redis again (monotonic)

    def _keys(self, fleet_id: uuid.UUID) -> list[str]:
        base = f"{self.prefix}:{fleet_id}"
        return [f"{base}:geo", f"{base}:pos", f"{base}:seen"]

    def update(self, fleet_id: uuid.UUID, positions: list[LivePosition]) -> list[LivePosition]:
        """Store the positions that are newer than the held ones; return those (they moved the map)."""
        if not positions:
            return []
        args: list = [int(time.time() * 1000), self.ttl_ms]
        for p in positions:
            args += [str(p.driver_id), p.lng, p.lat, _ms(p.recorded_at), _encode(p)]
        moved = self._update(keys=self._keys(fleet_id), args=args)
        return [positions[int(i)] for i in moved]

    def _fresh(self, fleet_id: uuid.UUID) -> None:
        self._prune(keys=self._keys(fleet_id), args=[int(time.time() * 1000) - self.ttl_ms])

    def fleet(self, fleet_id: uuid.UUID) -> list[LivePosition]:
        self._fresh(fleet_id)
        held = self.redis.hgetall(self._keys(fleet_id)[1])
        return [_decode(fleet_id, _text(d), raw) for d, raw in held.items()]

    def get(self, fleet_id: uuid.UUID, driver_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, LivePosition]:
        self._fresh(fleet_id)
        ids = [str(d) for d in driver_ids]
        if not ids:
            return {}
        raws = self.redis.hmget(self._keys(fleet_id)[1], ids)
        return {uuid.UUID(d): _decode(fleet_id, d, raw) for d, raw in zip(ids, raws, strict=True) if raw is not None}

    def nearest(
        self, fleet_id: uuid.UUID, *, lat: float, lng: float, radius_m: float, count: int
    ) -> list[tuple[uuid.UUID, float]]:
        """(driver, straight-line metres) closest first, within the radius (GEOSEARCH). Redis sorts every member
        inside the circle, so the circle grows in steps and stops once it holds enough drivers: in a dense
        city the first, small one usually does (100,000 drivers: 16 ms for 5 km at once, see benchmarks)."""
        self._fresh(fleet_id)
        key = self._keys(fleet_id)[0]
        found = []
        for step in (500.0, 1_500.0, 5_000.0, radius_m):
            found = self.redis.geosearch(
                key,
                longitude=lng,
                latitude=lat,
                radius=min(step, radius_m),
                unit="m",
                sort="ASC",
                count=count,
                withdist=True,
            )
            if len(found) >= count or step >= radius_m:
                break
        # withdist=True: each is [member, metres]; redis-py's type for the reply covers every option at once
        pairs = cast("list[tuple[bytes, float]]", found)
        return [(uuid.UUID(d.decode()), float(dist)) for d, dist in pairs]

    def remove(self, fleet_id: uuid.UUID, driver_id: uuid.UUID) -> None:
        geo, pos, seen = self._keys(fleet_id)
        with self.redis.pipeline() as pipe:
            pipe.zrem(geo, str(driver_id))
            pipe.hdel(pos, str(driver_id))
            pipe.zrem(seen, str(driver_id))
            pipe.execute()

    def claim_each(self, keys: list[uuid.UUID], *, seconds: int) -> set[uuid.UUID]:
        """Those keys not claimed in the last `seconds` (now claimed): a cross-process throttle. A key this process
        claimed is not asked about again until its claim lapses, nor one another process holds for a second: at a
        thousand moving drivers that is a few dozen SETs a second instead of a thousand."""
        now = time.monotonic()
        ask = [k for k in keys if self._claimed.get(k, 0.0) <= now]
        if not ask:
            return set()
        with self.redis.pipeline(transaction=False) as pipe:
            for key in ask:
                pipe.set(f"{self.prefix}:claim:{key}", 1, nx=True, ex=seconds)
            won = {k for k, ok in zip(ask, pipe.execute(), strict=True) if ok}
        if len(self._claimed) > 100_000:  # forget lapsed ones now and then; a forgotten key is only asked again
            self._claimed = {k: t for k, t in self._claimed.items() if t > now}
        for key in ask:
            self._claimed[key] = now + (seconds if key in won else 1.0)
        return won

    @contextlib.contextmanager
    def exclusive(self, name: str, *, seconds: float) -> Iterator[bool]:
        """Hold `name` across processes while the block runs (at most `seconds`, should this process die): yields
        False, and holds nothing, when another holds it."""
        import redis

        lock = self.redis.lock(f"{self.prefix}:lock:{name}", timeout=seconds, blocking=False)
        held = bool(lock.acquire())
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(redis.exceptions.LockError):  # it outlived `seconds`: already lapsed
                    lock.release()

    def trip_version_current(self, trip_id: uuid.UUID, version: int) -> bool:
        """Whether `version` is at least the newest pushed for the trip (and now the newest)."""
        key = f"{self.prefix}:trip:{trip_id}:version"
        return bool(self._newest(keys=[key], args=[version, TRIP_VERSION_DAYS * 86_400]))

    def trip_versions_current(self, versions: Sequence[tuple[uuid.UUID, int]]) -> list[bool]:
        """`trip_version_current` of each (trip, version), in order, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for trip_id, version in versions:
            key = f"{self.prefix}:trip:{trip_id}:version"
            self._newest(keys=[key], args=[version, TRIP_VERSION_DAYS * 86_400], client=pipe)
        return [bool(answer) for answer in pipe.execute()]

    def screen_join(self, fleet_id: uuid.UUID, screen: str) -> None:
        """A screen (its channel name) watches the fleet: the board task pushes to fleets that have one."""
        self.redis.zadd(f"{self.prefix}:screens", {f"{fleet_id}|{screen}": time.time()})

    def screen_leave(self, fleet_id: uuid.UUID, screen: str) -> None:
        self.redis.zrem(f"{self.prefix}:screens", f"{fleet_id}|{screen}")

    def fleets_watched(self) -> set[uuid.UUID]:
        """Fleets with a screen connected (one left behind by a process that died counts for a day at most)."""
        key = f"{self.prefix}:screens"
        self.redis.zremrangebyscore(key, "-inf", time.time() - SCREEN_FORGET_S)
        members = cast("list[bytes]", self.redis.zrange(key, 0, -1))
        return {uuid.UUID(_text(m).split("|", 1)[0]) for m in members}

    def _presence_key(self, driver_id: uuid.UUID) -> str:
        return f"{self.prefix}:presence:{driver_id}"

    def presence_mark(self, driver_id: uuid.UUID, connection: str, *, seconds: float) -> None:
        """The driver's socket `connection` is open for at least `seconds` more (a lease; marking again renews it).
        One sorted set per driver, scored by each socket's lease end: a second device or a reconnect that
        overlaps the old socket's close keeps the driver present until its own socket goes."""
        key, now = self._presence_key(driver_id), time.time()
        with self.redis.pipeline() as pipe:
            pipe.zremrangebyscore(key, "-inf", now)  # sockets whose lease ran out (their process died)
            pipe.zadd(key, {connection: now + seconds})
            pipe.pexpire(key, int(seconds * 1000) + 1000)  # the newest lease is the longest: the key outlives none
            pipe.execute()

    def presence_mark_many(self, marks: dict[str, uuid.UUID], *, seconds: float) -> None:
        """`presence_mark` for many sockets (channel name -> driver) in one round trip."""
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            for connection, driver_id in marks.items():
                key = self._presence_key(driver_id)
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zadd(key, {connection: now + seconds})
                pipe.pexpire(key, int(seconds * 1000) + 1000)
            pipe.execute()

    def presence_drop(self, driver_id: uuid.UUID, connection: str) -> None:
        self.redis.zrem(self._presence_key(driver_id), connection)

    def presence_of(self, driver_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those drivers with at least one socket whose lease has not run out (one round trip)."""
        ids, now = list(driver_ids), time.time()
        if not ids:
            return set()
        with self.redis.pipeline(transaction=False) as pipe:
            for driver_id in ids:
                pipe.zcount(self._presence_key(driver_id), f"({now}", "+inf")
            counts = pipe.execute()
        return {d for d, n in zip(ids, counts, strict=True) if n}

    def next_sequence(self, fleet_id: uuid.UUID) -> int:
        return int(self.redis.incr(f"{self.prefix}:{fleet_id}:seq"))

    def sequence(self, fleet_id: uuid.UUID) -> int:
        return int(self.redis.get(f"{self.prefix}:{fleet_id}:seq") or 0)

    def clear(self) -> None:
        self._claimed = {}
        for key in self.redis.scan_iter(f"{self.prefix}:*", count=1000):
            self.redis.delete(key)


class MemoryLiveStore:
    """The same contract within one process (embedded default: one web process serves everything)."""

    def __init__(self, ttl_s: int) -> None:
        self.ttl = dt.timedelta(seconds=ttl_s)
        self._lock = threading.Lock()
        self._fleets: dict[uuid.UUID, dict[uuid.UUID, LivePosition]] = {}
        self._seq: dict[uuid.UUID, int] = {}
        self._claims: dict[uuid.UUID, float] = {}
        self._exclusive: dict[str, tuple[float, object]] = {}
        self._versions: dict[uuid.UUID, int] = {}
        self._screens: dict[tuple[uuid.UUID, str], float] = {}
        self._presence: dict[uuid.UUID, dict[str, float]] = {}  # driver -> socket -> lease end (monotonic)

    def _held(self, fleet_id: uuid.UUID) -> dict[uuid.UUID, LivePosition]:
        held = self._fleets.setdefault(fleet_id, {})
        cutoff = dt.datetime.now(dt.UTC) - self.ttl
        for driver in [d for d, p in held.items() if p.recorded_at < cutoff]:
            del held[driver]
        return held

    def update(self, fleet_id: uuid.UUID, positions: list[LivePosition]) -> list[LivePosition]:
        cutoff = dt.datetime.now(dt.UTC) - self.ttl
        moved = []
        with self._lock:
            held = self._held(fleet_id)
            for p in positions:
                current = held.get(p.driver_id)
                if p.recorded_at >= cutoff and (current is None or current.recorded_at < p.recorded_at):
                    held[p.driver_id] = p
                    moved.append(p)
        return moved

    def fleet(self, fleet_id: uuid.UUID) -> list[LivePosition]:
        with self._lock:
            return list(self._held(fleet_id).values())

    def get(self, fleet_id: uuid.UUID, driver_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, LivePosition]:
        with self._lock:
            held = self._held(fleet_id)
            return {d: held[d] for d in driver_ids if d in held}

    def nearest(
        self, fleet_id: uuid.UUID, *, lat: float, lng: float, radius_m: float, count: int
    ) -> list[tuple[uuid.UUID, float]]:
        with self._lock:
            ranked = sorted((haversine_m(lat, lng, p.lat, p.lng), d) for d, p in self._held(fleet_id).items())
        return [(d, dist) for dist, d in ranked if dist <= radius_m][:count]

    def remove(self, fleet_id: uuid.UUID, driver_id: uuid.UUID) -> None:
        with self._lock:
            self._fleets.get(fleet_id, {}).pop(driver_id, None)

    def claim_each(self, keys: list[uuid.UUID], *, seconds: int) -> set[uuid.UUID]:
        now = time.monotonic()
        with self._lock:
            due = {k for k in keys if self._claims.get(k, 0.0) <= now}
            for k in due:
                self._claims[k] = now + seconds
        return due

    @contextlib.contextmanager
    def exclusive(self, name: str, *, seconds: float) -> Iterator[bool]:
        token = object()
        with self._lock:
            until, _ = self._exclusive.get(name, (0.0, None))
            held = until <= time.monotonic()
            if held:
                self._exclusive[name] = (time.monotonic() + seconds, token)
        try:
            yield held
        finally:
            if held:
                with self._lock:
                    if self._exclusive.get(name, (0.0, None))[1] is token:
                        del self._exclusive[name]

    def trip_version_current(self, trip_id: uuid.UUID, version: int) -> bool:
        with self._lock:
            if version < self._versions.get(trip_id, -1):
                return False
            self._versions[trip_id] = version
            return True

    def trip_versions_current(self, versions: Sequence[tuple[uuid.UUID, int]]) -> list[bool]:
        return [self.trip_version_current(trip_id, version) for trip_id, version in versions]

    def screen_join(self, fleet_id: uuid.UUID, screen: str) -> None:
        with self._lock:
            self._screens[(fleet_id, screen)] = time.time()

    def screen_leave(self, fleet_id: uuid.UUID, screen: str) -> None:
        with self._lock:
            self._screens.pop((fleet_id, screen), None)

    def fleets_watched(self) -> set[uuid.UUID]:
        with self._lock:
            return {fleet_id for fleet_id, _ in self._screens}

    def presence_mark(self, driver_id: uuid.UUID, connection: str, *, seconds: float) -> None:
        with self._lock:
            self._presence.setdefault(driver_id, {})[connection] = time.monotonic() + seconds

    def presence_mark_many(self, marks: dict[str, uuid.UUID], *, seconds: float) -> None:
        for connection, driver_id in marks.items():
            self.presence_mark(driver_id, connection, seconds=seconds)

    def presence_drop(self, driver_id: uuid.UUID, connection: str) -> None:
        with self._lock:
            sockets = self._presence.get(driver_id, {})
            sockets.pop(connection, None)
            if not sockets:
                self._presence.pop(driver_id, None)

    def presence_of(self, driver_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        now = time.monotonic()
        with self._lock:
            return {d for d in driver_ids if any(until > now for until in self._presence.get(d, {}).values())}

    def next_sequence(self, fleet_id: uuid.UUID) -> int:
        with self._lock:
            self._seq[fleet_id] = self._seq.get(fleet_id, 0) + 1
            return self._seq[fleet_id]

    def sequence(self, fleet_id: uuid.UUID) -> int:
        with self._lock:
            return self._seq.get(fleet_id, 0)

    def clear(self) -> None:
        with self._lock:
            self._fleets.clear()
            self._seq.clear()
            self._claims.clear()
            self._exclusive.clear()
            self._versions.clear()
            self._screens.clear()
            self._presence.clear()


@functools.cache
def store() -> RedisLiveStore | MemoryLiveStore:
    if settings.DISPATCH_LIVE_STORE == "redis":
        return RedisLiveStore(settings.REDIS_URL, settings.DISPATCH_LIVE_PREFIX, settings.DISPATCH_LIVE_TTL_SECONDS)
    return MemoryLiveStore(settings.DISPATCH_LIVE_TTL_SECONDS)
