"""The markdowns in effect: an index of active waves, layered per variant and location.

A variant can be marked down by several active waves at once (a compound wave
on top of the one it stacked on, a replace wave over both, different waves at
different locations). The price in effect at a location is the one of the wave
that took effect there **last**: the layer on top. Reversing a wave removes its
layer, so the layer underneath, the price in effect before the wave, shows again.

:class:`ActiveMarkdowns` holds those layers for one business. Lookups walk only
the few layers of one variant and take no lock; writes (activating a location,
reversing a wave) are made by :class:`~pricekit.markdowns.service.MarkdownService`
under its lock, after the change is stored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pricekit.markdowns.models import MarkdownWave, WaveItem, WaveLocationStatus
from pricekit.money import Money

__all__ = ["ActiveMarkdowns", "Layer"]

_EVERYWHERE = ""
"""The key of a wave that applies at every location (and to queries with none)."""


class _WaveState:
    """When one active wave took effect at each of its locations.

    Shared by every layer of the wave, so a location that activates later is one
    assignment of ``since``, not one per item.
    """

    __slots__ = ("created_at", "since", "wave_id")

    def __init__(self, wave: MarkdownWave) -> None:
        self.wave_id = wave.id
        self.created_at = wave.created_at
        self.since: Mapping[str, datetime] = _since(wave)


def _since(wave: MarkdownWave) -> dict[str, datetime]:
    if wave.everywhere:
        return {} if wave.activated_at is None else {_EVERYWHERE: wave.activated_at}
    return {
        location.location_id: location.activated_at
        for location in wave.locations
        if location.status is WaveLocationStatus.ACTIVE and location.activated_at is not None
    }


@dataclass(frozen=True, slots=True)
class Layer:
    """A wave's price for a variant, and when it took effect where the lookup asked.

    Attributes:
        wave_id: The wave.
        price: Its markdown price.
        since: When it took effect at the location asked about.
        created_at: When its wave was created (breaks ties between waves that
            took effect at the same instant).
    """

    wave_id: str
    price: Money
    since: datetime
    created_at: datetime | None = None

    def outranked_by(self, since: datetime, created_at: datetime | None, wave_id: str) -> bool:
        """Whether a wave taking effect at ``since`` would lie on top of this layer."""
        return _later((since, created_at, wave_id), (self.since, self.created_at, self.wave_id))


class ActiveMarkdowns:
    """The active markdown layers of one business, by variant.

    Implements the lookup half of :class:`~pricekit.pricing.ports.MarkdownLookup`
    through :meth:`top`; :class:`~pricekit.markdowns.service.MarkdownService` adapts
    it to the port.
    """

    __slots__ = ("_layers", "_states")

    def __init__(self) -> None:
        self._layers: dict[str, tuple[tuple[_WaveState, Money], ...]] = {}
        self._states: dict[str, _WaveState] = {}

    def __len__(self) -> int:
        """How many waves have layers here."""
        return len(self._states)

    def __contains__(self, wave_id: object) -> bool:
        return wave_id in self._states

    def put(self, wave: MarkdownWave, items: Iterable[WaveItem]) -> None:
        """Add the included items of ``wave`` as layers, or refresh where it is active.

        Call it again after more of the wave's locations activate; the items are
        only read the first time.
        """
        state = self._states.get(wave.id)
        if state is not None:
            state.since = _since(wave)
            return
        state = _WaveState(wave)
        layers = self._layers
        for item in items:
            if item.excluded:
                continue
            layer = (state, item.markdown_price)
            current = layers.get(item.variant_id)
            layers[item.variant_id] = (layer,) if current is None else (*current, layer)
        self._states[wave.id] = state

    def remove(self, wave_id: str, variant_ids: Iterable[str]) -> None:
        """Take a wave's layers away (reversal); ``variant_ids`` are the wave's items."""
        state = self._states.pop(wave_id, None)
        if state is None:
            return
        layers = self._layers
        for variant_id in variant_ids:
            current = layers.get(variant_id)
            if current is None:
                continue
            kept = tuple(layer for layer in current if layer[0] is not state)
            if kept:
                layers[variant_id] = kept
            else:
                layers.pop(variant_id, None)

    def top(
        self,
        variant_id: str,
        *,
        location_id: str | None,
        at: datetime | None = None,
    ) -> Layer | None:
        """The layer in effect for a variant at a location, or ``None``.

        A wave with locations applies only at those where it is active; a wave
        without applies everywhere, including to a query with no location. Of the
        layers that apply (and, given ``at``, took effect by then), the one that
        took effect last wins; at the same instant, the wave created later.
        """
        layers = self._layers.get(variant_id)
        if layers is None:
            return None
        best: tuple[datetime, datetime | None, str] | None = None
        found: tuple[_WaveState, Money, datetime] | None = None
        for state, price in layers:
            since = state.since
            when = None if location_id is None else since.get(location_id)
            if when is None:
                when = since.get(_EVERYWHERE)
                if when is None:
                    continue
            if at is not None and when > at:
                continue
            key = (when, state.created_at, state.wave_id)
            if best is None or _later(key, best):
                best = key
                found = (state, price, when)
        if found is None:
            return None
        state = found[0]
        return Layer(
            wave_id=state.wave_id, price=found[1], since=found[2], created_at=state.created_at
        )

    def top_over(
        self,
        variant_id: str,
        location_ids: Collection[str] | None,
        *,
        at: datetime | None = None,
        any_location: bool = False,
        skip_wave_id: str | None = None,
    ) -> Layer | None:
        """Like :meth:`top`, over several locations at once.

        Args:
            variant_id: The variant.
            location_ids: The locations to consider; ``None`` for none (only waves
                that apply everywhere).
            at: Only layers that took effect by then.
            any_location: Consider every location a wave is active at.
            skip_wave_id: Leave this wave out (what is underneath it).
        """
        layers = self._layers.get(variant_id)
        if layers is None:
            return None
        best: tuple[datetime, datetime | None, str] | None = None
        found: Layer | None = None
        for state, price in layers:
            if state.wave_id == skip_wave_id:
                continue
            since_by_location = state.since
            since = since_by_location.get(_EVERYWHERE)
            if any_location:
                candidates = list(since_by_location.values())
            elif location_ids:
                candidates = [
                    s for s in (since_by_location.get(loc) for loc in location_ids) if s is not None
                ]
            else:
                candidates = []
            if since is not None:
                candidates.append(since)
            for when in candidates:
                if at is not None and when > at:
                    continue
                key = (when, state.created_at, state.wave_id)
                if best is None or _later(key, best):
                    best = key
                    found = Layer(
                        wave_id=state.wave_id, price=price, since=when, created_at=state.created_at
                    )
        return found


def _later(
    key: tuple[datetime, datetime | None, str], best: tuple[datetime, datetime | None, str]
) -> bool:
    if key[0] != best[0]:
        return key[0] > best[0]
    created, best_created = key[1], best[1]
    if created != best_created and created is not None and best_created is not None:
        return created > best_created
    return key[2] > best[2]
