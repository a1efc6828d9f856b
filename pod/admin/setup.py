"""Wires the operator features into the application: usage metering, quotas, health, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from pod.admin.http import Health, metrics_handler, suspension_middleware
from pod.admin.metrics import Metrics
from pod.admin.policy import AccountPolicy
from pod.admin.quota import Quotas
from pod.admin.usage import UsageLedger
from pod.config import Settings
from pod.http.errors import error_middleware
from pod.idp.pod_data import USAGE_SOURCE, PodUsage
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.operations import Resources
from pod.ldp.storages import Storages
from pod.notifications.setup import NOTIFICATIONS_KEY
from pod.storage.base import Store
from pod.storage.internal import MemoryInternalState
from pod.storage.metered import MeteredStore

HEALTH_PATH = ".well-known/health"
METRICS_PATH = "metrics"


@dataclass(frozen=True)
class Operator:
    ledger: UsageLedger
    policy: AccountPolicy
    quotas: Quotas
    metrics: Metrics


OPERATOR = web.AppKey("operator", Operator)


@dataclass(frozen=True)
class LedgerUsage:
    """A pod's usage and quota for its owner's account pages (pod.idp.pod_data)."""

    ledger: UsageLedger
    policy: AccountPolicy

    async def usage(self, storage: ResourceIdentifier) -> PodUsage:
        counted = await self.ledger.ensure(storage)
        return PodUsage(counted.bytes, await self.policy.quota_of(storage))


def metered(store: Store, storages: Storages) -> MeteredStore:
    """The store every part of the server writes through, counting each pod's bytes."""
    ledger = UsageLedger(storages.state or MemoryInternalState(), storages, store)
    return MeteredStore(store, ledger)


def install(app: web.Application, settings: Settings, resources: Resources) -> Operator:
    """Call before the LDP catch-all route, after the other middlewares are in place."""
    store = resources.store
    assert isinstance(store, MeteredStore) and isinstance(store.usage, UsageLedger)
    ledger = store.usage
    policy = AccountPolicy(ledger.state, resources.storages, settings.default_quota)
    quotas = Quotas(ledger, policy)
    resources.quota = quotas
    notifications = app.get(NOTIFICATIONS_KEY)
    # The registry keeps its open channels in `_channels`; counting them needs no other API.
    channels = (lambda: len(getattr(notifications.registry, "_channels", {}))) if notifications else None
    metrics = Metrics(ledger, channels)
    operator = app[OPERATOR] = Operator(ledger, policy, quotas, metrics)
    app[USAGE_SOURCE] = LedgerUsage(ledger, policy)
    # Outermost: every answer is counted, error responses included.
    app.middlewares.insert(0, metrics.middleware)
    # Inside the error middleware (its 403 gets a problem body), before authentication (the
    # admin token is no Solid credential).
    position = list(app.middlewares).index(error_middleware) + 1
    app.middlewares.insert(
        position, suspension_middleware(policy, resources.storages, settings.base_path, settings.admin_token)
    )
    health = Health(ledger.state, settings.data_dir if settings.storage == "file" else None)
    app.router.add_route("*", settings.base_path + HEALTH_PATH, health.handle)
    app.router.add_route(
        "*", settings.base_path + METRICS_PATH, metrics_handler(metrics, settings.admin_token)
    )

    async def start(_app: web.Application) -> None:
        await ledger.start()

    async def stop(_app: web.Application) -> None:
        await ledger.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return operator
