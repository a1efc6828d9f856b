"""The pod named in an account API path, checked to be the logged-in account's own (owner WebID)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from pod.errors import Forbidden, NotFound, Unauthorized
from pod.idp.accounts import Account
from pod.idp.service import SERVICE, AccountService
from pod.ldp.identifiers import ResourceIdentifier


@dataclass(frozen=True)
class OwnedPod:
    """A pod of the account the request is logged in as."""

    account: Account
    pod_id: str
    url: str
    root: ResourceIdentifier
    owners: frozenset[str]

    @property
    def owner(self) -> str:
        """The WebID the account acts as in this pod (the one the account holds, if any)."""
        mine = sorted(self.owners & set(self.account.webids))
        return (mine or sorted(self.owners) or [""])[0]


async def owned_pod(request: web.Request, account: Account | None = None, *, to: str) -> OwnedPod:
    """The pod in the path; 401 without a login, 403 for another account or one that does not hold
    an owner WebID of the pod ("only the pod's owner {to}"), 404 for no such pod."""
    service: AccountService = request.app[SERVICE]
    if account is None:
        account = await service.api_account(request)
    if account is None:
        raise Unauthorized("log in first: send the account cookie or `Authorization: CSS-Account-Token ...`")
    if account.id != request.match_info["account"]:
        raise Forbidden("this is not the account you are logged in as")
    links = await service.accounts.pod_links(account.id)
    pod_id = request.match_info["pod"]
    if pod_id not in links:
        raise NotFound("this account has no such pod")
    root = service.pods.root_of(links[pod_id])
    owners = service.pods.storages.owners_of(root)
    # An account that lost the pod's ownership gets nothing of it.
    if not owners & set(account.webids):
        raise Forbidden(f"only the pod's owner {to}")
    return OwnedPod(account, pod_id, links[pod_id], root, owners)
