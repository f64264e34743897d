"""The Feishu directory for `salesbot org sync`, through lark-oapi's contact v3: every department under the
root (`departments/0/children?fetch_child=true`, with `leader_user_id`), then each department's direct members
(`users/find_by_department`), both paged (`page_token` until `has_more` is false). Ids are open ids
(`user_id_type=open_id`, `department_id_type=open_department_id`), as identities are `feishu:ou_…`.

Members who resigned or whose account is frozen are not listed: to the sync they are gone. Everything is read
before anything is returned, so a failure on any page (a SendError) changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import redis
from lark_oapi.api.contact.v3 import ChildrenDepartmentRequest, FindByDepartmentUserRequest

from bot.platforms.adapter import DirectoryReader
from bot.platforms.feishu_client import Api, shared_api
from config.settings import Settings
from storage.org import Department, Directory, Member

ROOT = "0"
PAGE_SIZE = 50  # the most either API gives a page


def feishu_directory(settings: Settings, connection: redis.Redis) -> DirectoryReader:
    assert settings.feishu is not None
    api = shared_api(settings.feishu, connection)
    return lambda: read_directory(api)


def _pages(api: Api, what: str, call: Callable[[str], Any]) -> Iterator[Any]:
    """Every item of a paged list: `call(page_token)` until the answer says there is no more."""
    token = ""
    while True:
        data = api.call(what, functools.partial(call, token)).data
        yield from data.items or ()
        if not data.has_more or not data.page_token:
            return
        token = data.page_token


def _page_request(builder: Any, token: str) -> Any:
    """A list request in open ids, a full page, from `token` (the first page without one)."""
    builder = builder.user_id_type("open_id").department_id_type("open_department_id").page_size(PAGE_SIZE)
    return (builder.page_token(token) if token else builder).build()


def _departments(api: Api, token: str) -> Any:
    """One page of every department under the root."""
    builder = ChildrenDepartmentRequest.builder().department_id(ROOT).fetch_child(True)
    return api.client.contact.v3.department.children(_page_request(builder, token))


def _members(api: Api, department_id: str, token: str) -> Any:
    """One page of a department's direct members."""
    builder = FindByDepartmentUserRequest.builder().department_id(department_id)
    return api.client.contact.v3.user.find_by_department(_page_request(builder, token))


def read_directory(api: Api) -> Directory:
    """Raises SendError when Feishu fails on any page."""
    raw = list(_pages(api, "contact.v3.department.children", functools.partial(_departments, api)))
    ids = {d.open_department_id for d in raw}
    departments = tuple(
        Department(
            d.open_department_id,
            d.name or d.open_department_id,
            d.parent_department_id if d.parent_department_id in ids else None,
            (d.leader_user_id,) if d.leader_user_id else (),
        )
        for d in raw
    )
    members: dict[str, Member] = {}
    for department_id in (ROOT, *(d.id for d in departments)):
        read_page = functools.partial(_members, api, department_id)
        for user in _pages(api, "contact.v3.user.find_by_department", read_page):
            status = user.status
            if user.open_id in members or (status is not None and (status.is_resigned or status.is_frozen)):
                continue
            members[user.open_id] = Member(user.open_id, user.name or user.open_id, tuple(user.department_ids or ()))
    return Directory("feishu", departments, tuple(members.values()))
