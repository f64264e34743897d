"""One small company, in each platform's official directory shapes and as the neutral `Directory`.

华力科技 (root) ── 销售中心 (王总监) ── 华东大区 (赵区长) ─┬─ 杭州组 (刘组长)
               │                                        └─ 上海组 (no leader)
               └─ 研发部 (程工)

Shapes: WeCom `department/list` and `user/list` (developer.work.weixin.qq.com/document/path/90208, /90201);
Feishu contact v3 `departments/:id/children` and `users/find_by_department` (open ids).
"""

from __future__ import annotations

from typing import Any

from storage.org import Department, Directory, Member

# id, name, parent id (0: none), leader user ids
DEPARTMENTS: list[tuple[int, str, int, tuple[str, ...]]] = [
    (1, "华力科技", 0, ("boss",)),
    (2, "销售中心", 1, ("wanghead",)),
    (3, "华东大区", 2, ("zhaoregion",)),
    (4, "杭州组", 3, ("liuteam",)),
    (5, "上海组", 3, ()),
    (6, "研发部", 1, ("cheng",)),
]
# user id, name, department ids (the main one first)
PEOPLE: list[tuple[str, str, tuple[int, ...]]] = [
    ("boss", "陈总", (1,)),
    ("wanghead", "王总监", (2,)),
    ("zhaoregion", "赵区长", (3,)),
    ("liuteam", "刘组长", (4,)),
    ("zhangwei", "张伟", (4,)),
    ("lisi", "李四", (5, 4)),
    ("cheng", "程工", (6,)),
]
SALES_ROOT = "销售中心"


def wecom_departments() -> list[dict[str, Any]]:
    return [
        {"id": i, "name": name, "name_en": "", "department_leader": list(leaders), "parentid": parent, "order": 100 - i}
        for i, name, parent, leaders in DEPARTMENTS
    ]


def wecom_staff(people: list[tuple[str, str, tuple[int, ...]]] = PEOPLE) -> list[dict[str, Any]]:
    leaders = {i: leads for i, _, _, leads in DEPARTMENTS}
    # WeCom lists a member's departments in its own order; `main_department` says which is the main one.
    return [
        {
            "userid": uid,
            "name": name,
            "department": sorted(depts),
            "order": [0] * len(depts),
            "is_leader_in_dept": [int(uid in leaders[d]) for d in sorted(depts)],
            "main_department": depts[0],
            "status": 1,
        }
        for uid, name, depts in people
    ]


def open_department(i: int) -> str:
    return "0" if i == 1 else f"od-{i:032x}"


def open_id(uid: str) -> str:
    return f"ou_{uid}"


def feishu_departments() -> list[dict[str, Any]]:
    """Feishu's tenant root (id 0) is the company itself: 华力科技 is not listed among its children."""
    return [
        {
            "name": name,
            "open_department_id": open_department(i),
            "department_id": str(i),
            "parent_department_id": open_department(parent),
            "leader_user_id": open_id(leaders[0]) if leaders else "",
            "status": {"is_deleted": False},
        }
        for i, name, parent, leaders in DEPARTMENTS
        if i != 1
    ]


def feishu_staff(people: list[tuple[str, str, tuple[int, ...]]] = PEOPLE) -> list[dict[str, Any]]:
    status = {"is_frozen": False, "is_resigned": False, "is_activated": True, "is_exited": False, "is_unjoin": False}
    return [
        {"open_id": open_id(uid), "name": name, "department_ids": [open_department(d) for d in depts], "status": status}
        for uid, name, depts in people
    ]


def directory(
    people: list[tuple[str, str, tuple[int, ...]]] = PEOPLE,
    departments: list[tuple[int, str, int, tuple[str, ...]]] = DEPARTMENTS,
) -> Directory:
    """The company as a reader hands it to storage (WeCom ids)."""
    return Directory(
        "wecom",
        tuple(
            Department(str(i), name, str(parent) if parent else None, leaders)
            for i, name, parent, leaders in departments
        ),
        tuple(Member(uid, name, tuple(str(d) for d in depts)) for uid, name, depts in people),
    )
