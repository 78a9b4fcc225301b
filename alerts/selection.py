"""Which pending changes an email carries: the subscriber's own filters, and for immediate alerts only a
major legal step newly taken (never one announced, held back or re-published)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from config.schema import Config
from config.schema import Subscriber as SubscriberConfig
from pipeline.store.models import Change

# (subscriber, change, held): ``held`` is True for a change that may never be an immediate alert
# (pipeline.store.digests.held_from_alerts: a source's baseline crawl, an edit of a document already alerted).
Select = Callable[[SubscriberConfig | None, Change, bool], bool]


def wanted(sub: SubscriberConfig | None, change: Change) -> bool:
    """The subscriber's own filters: milestones only (``want``), and which kinds of source."""
    if sub is None:
        return True
    if sub.want == "milestones" and not change.milestones:
        return False
    return sub.source_kinds is None or change.source.kind in sub.source_kinds


def alert_step(milestone: Mapping[str, object], types: frozenset[str]) -> bool:
    """A stored milestone worth an immediate alert: the document's primary step, taken (never one only
    announced, requested or in the background), of one of ``types``, and not an edit re-publishing it."""
    return (milestone.get("type") in types and milestone.get("status", "taken") == "taken"
            and milestone.get("primary") is True and not milestone.get("republished"))


def major(types: Sequence[str]) -> Select:
    """Changes whose new taken primary step is one of ``types``: immediate alerts (never held ones)."""
    chosen = frozenset(types)
    return lambda sub, change, held: not held and any(alert_step(m, chosen) for m in change.milestones or ())


def immediate_select(config: Config) -> Select:
    """What an immediate alert carries: everything for ``frequency: immediate`` subscribers, else major steps."""
    types = major(config.immediate_milestones)

    def select(sub: SubscriberConfig | None, change: Change, held: bool) -> bool:
        if change.kind == "reverted":  # back to a text already stored: never an alert of its own
            return False
        return (sub is not None and sub.frequency == "immediate") or types(sub, change, held)

    return select
