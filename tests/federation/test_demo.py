"""The `make demo-federation` steps, against two full servers, as assertions."""

from __future__ import annotations

import aiohttp

from pod.federation.demo import Step, run_steps
from tests.federation.conftest import Servers


async def test_alice_shares_with_bob_across_servers_and_bob_notifies_her(
    http: aiohttp.ClientSession, servers: Servers
) -> None:
    steps: list[Step] = await run_steps(http, servers.a, servers.b, lambda step: None)
    statuses = {step.what.split(":")[0].split(" (")[0]: step.status for step in steps}
    assert [step.status for step in steps] == [200, 200, 201, 403, 201, 200, 201, 200, 403], statuses
    # Bob's notification went to Alice's inbox on A, found from her WebID profile.
    assert f"her inbox {servers.a}alice/inbox/ holds {servers.a}alice/inbox/" in steps[6].what
