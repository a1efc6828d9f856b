"""Issue 15: `/.well-known/health`, `/metrics` (admin token or loopback only), suspended accounts."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from pod.admin.setup import OPERATOR
from tests.operations.conftest import ADMIN_TOKEN, ServerFactory


async def test_health_says_live_and_ready(serve: ServerFactory) -> None:
    served = await serve()
    resp = await served.client.get("/.well-known/health")
    assert resp.status == 200
    body = await resp.json()
    assert body["live"] and body["ready"]
    assert body["checks"]["storage"]["ok"] and body["checks"]["state"]["ok"]


async def test_metrics_from_loopback_in_prometheus_text(serve: ServerFactory) -> None:
    served = await serve()
    await served.client.get("/alice/")
    resp = await served.client.get("/metrics")
    assert resp.status == 200
    text = await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert 'pod_http_requests_total{method="GET",status="200"}' in text
    assert "pod_http_request_duration_seconds_bucket" in text
    assert "pod_http_connections_active" in text
    assert 'pod_storage_used_bytes{pod="/alice/"}' in text


async def test_metrics_refused_to_anyone_else(serve: ServerFactory) -> None:
    served = await serve()
    resp = await served.client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert resp.status == 403
    resp = await served.client.get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer wrong-token-000000"}
    )
    assert resp.status == 403
    resp = await served.client.get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert resp.status == 200


async def test_metrics_is_not_writable_as_a_resource(serve: ServerFactory) -> None:
    served = await serve()
    resp = await served.client.put("/metrics", data=b"x", headers={"Content-Type": "text/plain"})
    assert resp.status in (403, 405)


async def test_a_suspended_accounts_pod_is_403_but_to_the_admin(serve: ServerFactory) -> None:
    served = await serve()
    policy = served.client.server.app[OPERATOR].policy
    await policy.suspend(served.account_id)
    resp = await served.client.get("/alice/profile/card")
    assert resp.status == 403 and "suspended" in await resp.text()
    resp = await served.client.get("/alice/profile/card", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert resp.status == 200
    await policy.suspend(served.account_id, False)
    assert (await served.client.get("/alice/profile/card")).status == 200


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_every_request_and_bucket_its_latency(serve: ServerFactory) -> None:
    """Issue 15: requests by method and status, with a latency histogram whose buckets add up."""
    served = await serve()
    for _ in range(5):
        await served.client.get("/alice/")
    await served.client.request("PROPFIND", "/alice/")  # WebDAV: not a method of ours
    found = samples(await (await served.client.get("/metrics")).text())
    get_ok = (("method", "GET"), ("status", "200"))
    assert found[("pod_http_requests_total", get_ok)] >= 5
    assert (
        found[("pod_http_request_duration_seconds_count", get_ok)]
        == found[("pod_http_requests_total", get_ok)]
    )
    bounds = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in found.items()
        if name == "pod_http_request_duration_seconds_bucket"
        and dict(labels)["method"] == "GET"
        and dict(labels)["status"] == "200"
    )
    counts = [value for _, value in bounds]
    assert counts == sorted(counts), "buckets are cumulative"
    assert bounds[-1] == (float("inf"), found[("pod_http_request_duration_seconds_count", get_ok)])
    assert found[("pod_http_request_duration_seconds_sum", get_ok)] > 0
    # A made-up method is counted, under one label whatever its name.
    assert any(name == "pod_http_requests_total" and ("method", "OTHER") in labels for name, labels in found)
