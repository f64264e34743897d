"""The WeCom directory for `salesbot org sync`, through wechatpy: `department/list` (every department the app
may see, with `department_leader`), then `user/list` once per department (WeCom's own paging: the API
returns one department's members a call, and no longer recurses into sub-departments).

Members whose account is disabled (status 2) or who left (status 5) are not listed: to the sync they are gone.
Everything is read before anything is returned, so a failure on any call (a SendError) changes nothing.
"""

from __future__ import annotations

from typing import Any

import redis

from bot.platforms.adapter import DirectoryReader
from bot.platforms.wecom_client import WecomClient
from config.settings import Settings
from storage.org import Department, Directory, Member

GONE_STATUSES = frozenset({2, 5})  # 1 active, 2 disabled, 4 not yet activated, 5 left


def wecom_directory(settings: Settings, connection: redis.Redis) -> DirectoryReader:
    assert settings.wecom is not None
    client = WecomClient(settings.wecom, connection)
    return lambda: read_directory(client)


def read_directory(client: WecomClient) -> Directory:
    """Raises SendError when WeCom fails on any call."""
    raw_departments: list[dict[str, Any]] = client.call(lambda: client.department.get())
    ids = {str(d["id"]) for d in raw_departments}
    leaders = {str(d["id"]): [str(u) for u in d.get("department_leader") or ()] for d in raw_departments}
    members: dict[str, Member] = {}
    for dept in raw_departments:
        for user in client.call(lambda dept_id=dept["id"]: client.user.list(dept_id)):
            user_id = str(user["userid"])
            if user.get("status") in GONE_STATUSES or user_id in members:
                continue
            departments = [str(d) for d in user.get("department") or ()]
            for dept_id, leads in zip(departments, user.get("is_leader_in_dept") or (), strict=False):
                if leads and dept_id in leaders and user_id not in leaders[dept_id]:
                    leaders[dept_id].append(user_id)
            main = str(user.get("main_department") or "")
            ordered = ([main] if main in departments else []) + [d for d in departments if d != main]
            members[user_id] = Member(user_id, str(user.get("name") or user_id), tuple(ordered))
    departments = tuple(
        Department(
            str(d["id"]),
            str(d.get("name") or d["id"]),
            str(d["parentid"]) if str(d.get("parentid")) in ids else None,
            tuple(leaders[str(d["id"])]),
        )
        for d in raw_departments
    )
    return Directory("wecom", departments, tuple(members.values()))
