"""Every sentence the bot says to reps and managers (zh-CN), in one place to review and reword.

Constants for fixed text, small functions for text with values in it. Numbers that are settings come from
the rules in force, never written here. Logic lives elsewhere; nothing here decides anything.
"""

from __future__ import annotations

from datetime import date, datetime

from config.rules import Rules
from storage.refusals import Why

# ---------------------------------------------------------------- shared

SOMEONE = "同事"  # a person whose name we do not know
EXAMPLE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
LIGHTS = {"green": "🟢", "yellow": "🟡", "red": "🔴"}
ACTIVITY_LABELS = {
    "call": "电话",
    "visit": "拜访",
    "wechat": "微信沟通",
    "meeting": "会议",
    "demo": "演示",
    "quote": "报价",
    "sample": "样机/样品",
    "contract": "合同",
    "other": "跟进",
}


BOT_NAME = "销售助手"
CHAT_BANNER = "销售助手（终端）。发「帮助」查看用法，Ctrl-D 退出。\n"
HANDLED = "已处理"  # the greyed-out button left on a handled WeCom card
CLICK_REPEATED = "已处理过这次点击"
APOLOGY = "抱歉，处理这条消息时出了点问题，已记录下来，请稍后再试。（参考号 {ref}）"
CLICK_FAILED = "抱歉，操作没有成功，请稍后再试。（参考号 {ref}）"
GAVE_UP = "抱歉，这条消息多次处理都没有成功，已经放弃。请稍后重新发送一次。"


def lead_number(lead_id: int) -> str:
    return f"线索 #{lead_id}"


def more(n: int) -> str:
    return f"……另有 {n} 条"


def light_legend(rules: Rules) -> str:
    """What the lights mean under the rules in force, per-stage thresholds included:
    `🟡7天未跟进 🔴14天未跟进（谈判阶段：🟡5天 🔴10天）`."""
    text = f"🟡{rules.yellow_days}天未跟进 🔴{rules.red_days}天未跟进"
    overrides = [
        f"{rules.stage(stage_id).label}阶段：🟡{yellow}天 🔴{red}天"
        for stage_id, (yellow, red) in rules.stage_lights.items()
        if any(s.id == stage_id for s in rules.stages)
    ]
    return f"{text}（{'；'.join(overrides)}）" if overrides else text


# ---------------------------------------------------------------- refusals

# The words for each refusal but UNDO_EXPIRED (undo_expired, with the minutes in force); a refusal that
# names a lead is worded with it by the functions below.
REFUSALS = {
    Why.LEAD_NOT_YOURS: "这条线索由其他同事负责，你没有权限操作。",
    Why.LEAD_EXISTS: "已有这条线索。",
    Why.LEAD_GONE: "没有找到这条线索，可能已被撤销或删除。",
    Why.REMINDER_GONE: "这条提醒已不存在（线索可能已撤销）。",
    Why.REMINDER_NOT_YOURS: "这条提醒不是发给你的，不能替别人处理。",
    Why.REMINDER_CLOSED: "这条提醒已经处理过了。",
    Why.ACTIVITY_GONE: "这条记录已经撤销过了。",
    Why.NOT_AUTHOR: "只有记录人本人可以撤销这条记录。",
    Why.ALERT_GONE: "这条提醒已不存在。",
    Why.ALERT_NOT_YOURS: "这张卡片是发给主管的，你没有权限处理。",
    Why.ALERTS_HANDLED: "这张卡片上的线索已经处理过了。",
    Why.STALE_BUTTON: "这个按钮已失效，请重新发送指令。",
    Why.MANAGERS_ONLY: "只有主管可以分配线索。需要转交客户请联系你的主管。",
    Why.NOT_IN_TEAM: "只能改派给你团队里的销售。",
}


def undo_expired(rules: Rules) -> str:
    return f"这条记录已超过{rules.undo_minutes}分钟，不能撤销了。如需更正，请再发一条说明。"


def lead_not_yours(lead: str, owner: str) -> str:
    return f"这条线索（{lead}）由{owner}负责，你没有权限操作。"


def lead_exists(lead_id: int, lead: str, owner: str) -> str:
    return f"已有这条线索（#{lead_id} {lead}，{owner}负责）"


# ---------------------------------------------------------------- help


HELP_TITLE = "销售助手 · 使用说明"


def greeting_title(name: str | None) -> str:
    return f"你好，{name}！我是销售助手" if name else "你好！我是销售助手"


def help_lines(rules: Rules, *, manages: bool) -> tuple[str, ...]:
    """The usage card: what to send, and the commands this person's role may use."""
    commands = [
        f"· 我的线索 —— 你名下的线索，🟢正常 {light_legend(rules)}",
        "· 今日待办 —— 今天该跟进的客户（含已逾期）",
        f"· 撤销 —— 撤回你{rules.undo_minutes}分钟内的上一条记录",
        "· 查 客户名 —— 看这家客户的阶段、标签和最近几次跟进（也可以问「华力怎么样了」）",
        "· 去掉 价格敏感 / 加 需要样机 / 联系人 王建国 / 电话 … / 下次跟进 周五下午3点 / 阶段 报价 —— 更正上一条记录",
        "· 赢单 / 输单 原因 —— 给上一条记录的客户定结果（前面加 #编号 指定客户）",
        "· 合并 #5 到 #2 —— 把重复的线索并到一起（10分钟内可「撤销合并」）",
    ]
    if manages:
        commands.append("· 分配 客户 给 销售 —— 把线索交给团队里的销售")
    commands.append("· 看板 —— 打开销售看板（漏斗、红黄绿灯、预测）的一次性链接")
    commands.append("· 帮助 —— 显示本说明")
    return (
        "拜访或通话后，直接发一句话（打字或语音都行），我来建线索、记跟进、打标签、定提醒。",
        f"例如：{EXAMPLE}",
        "",
        "常用指令：",
        *commands,
    )


# ---------------------------------------------------------------- messages the bot cannot use

UNSUPPORTED = "暂不支持这种消息类型。请发文字或语音，说说这次跟进的情况。"
VOICE_NOT_HEARD = "这条语音没能识别出文字。请直接打字，或用手机输入法的语音转文字后发送。"
EMPTY_NOTE = ("没有收到内容。说说这次跟进的情况吧，例如：", EXAMPLE, "发「帮助」查看全部指令。")
INTRODUCTION = (
    "你好，我是销售助手。拜访或通话后发一句话给我，我来建线索、记跟进。例如：",
    EXAMPLE,
    "发「帮助」查看全部指令。",
)
NO_CUSTOMER = ("没认出是哪家客户：请带上公司名或手机号再发一次，我才能记到对应线索上。例如：", EXAMPLE)

# ---------------------------------------------------------------- a logged note

OWNED_BY_OTHER_TITLE = "这家客户已有负责人"


def owned_by_other(lead: str, lead_id: int, owner: str | None) -> tuple[str, ...]:
    """`owner` is None when we do not know the owner's name."""
    return (
        f"「{lead}」已由{owner or '其他同事'}跟进（线索 #{lead_id}），没有重复创建，也没有记录这条跟进。",
        f"如需协同，请联系{owner}或你的主管。" if owner else "如需协同，请联系你的主管。",
    )


def logged_title(lead: str) -> str:
    return f"已记录：{lead}"


def logged_customer(lead: str, lead_id: int, *, created: bool) -> str:
    return f"{lead}（{'新线索' if created else '已有线索'} #{lead_id}）"


def heard(text: str) -> str:
    return f"🎤 听到：{text}"


def truncated(max_chars: int, last_words: str) -> str:
    return (
        f"✂️ 这条记录超过{max_chars}字：全文已保存，但我只读了前{max_chars}字（到「…{last_words}」为止）"
        "来认客户、打标签、定提醒。后面如有要点，请另发一条。"
    )


UNDO_BUTTON = "撤销"
NO_FOLLOW_UP = "未设置（可补一句，如「下周三再约」）"
VAGUE_FOLLOW_UP = "还没定具体哪天，回复一个日子（如「周三」「12月5日下午」）我来定提醒"


def tag_off_button(tag: str) -> str:
    return f"去掉 {tag}"


def tag_back_button(tag: str) -> str:
    return f"加回 {tag}"


def undo_note(rules: Rules) -> str:
    return (
        "识别有误？直接回复更正，如「去掉 价格敏感」「联系人 王建国」「下次跟进 周五下午3点」「阶段 报价」；"
        f"整条记错了，{rules.undo_minutes}分钟内点「撤销」。"
    )


def follow_up_set(when: str) -> str:
    return f"好的，{when}提醒你跟进。"


# ---------------------------------------------------------------- which customer (resolution, context, parts)

WHICH_TITLE = "这条记到哪家客户？"
WHICH_NEW = "新客户"
WHICH_NOTE = "先不记录，等你选好。回复序号（1、2…）或「新的」，也可以点按钮。"
NEED_COMPANY_FOR_NEW = "要建新客户，请带上公司名或手机号把这条再发一次。"
CHOICE_GONE = "这个问题已经过期或回答过了。请把记录重新发一次。"
NOT_THIS_ONE = "不是这家"
MOVE_TITLE = "改记到哪家客户？"
MOVE_NOTE = "点一家，刚才那条就改记过去；都不是的话，撤销后带上公司名重新发送。"


def quoted(text: str, limit: int = 40) -> str:
    return f"「{text[:limit]}{'…' if len(text) > limit else ''}」"


def choice_label(n: int, lead: str, contact: str | None, owner: str | None) -> str:
    extra = f" · {contact}" if contact else ""
    whose = f"（{owner}的）" if owner else ""
    return f"{n}. {lead}{extra}{whose}"


def context_line(lead: str) -> str:
    return f"🔗 没写客户名，接着刚才那条记在「{lead}」上。"


def parts_title(n: int) -> str:
    return f"已记录 {n} 家客户"


def circled(n: int) -> str:
    return "①②③④⑤⑥⑦⑧⑨"[n - 1] if 1 <= n <= 9 else f"({n})"


def part_line(n: int, lead: str, lead_id: int, *, created: bool, summary: str) -> str:
    return f"{circled(n)} {logged_customer(lead, lead_id, created=created)}{summary}"


def undo_part(n: int) -> str:
    return f"撤销{circled(n)}"


# ---------------------------------------------------------------- look-ups (查 华力)

LIGHT = "状态"
YOU = "你"
OWNER = "负责人"
NO_ACTIVITY_YET = "还没有跟进记录。"
NOTE_ON_BUTTON = "记一笔"
WON_BUTTON = "赢单"
LOST_BUTTON = "输单"
STAGE_BUTTON = "改阶段"


def lead_card_note(lead_id: int) -> str:
    return f"改联系人、电话等信息：回复「#{lead_id} 联系人 王建国」「#{lead_id} 电话 13912345678」这样的一句话。"


def stage_menu_title(lead: str) -> str:
    return f"改阶段：{lead}"


def stage_menu_line(stage: str, lead_id: int, example: str) -> str:
    return f"现在是「{stage}」。点一下要改成的阶段，也可以回复「#{lead_id} 阶段 {example}」。"


NOTE_ON_PROMPT = "好的，直接发这次跟进的情况，我记到这家客户上。"


def lead_card_title(lead: str, lead_id: int) -> str:
    return f"{lead}（#{lead_id}）"


def timeline_line(day: str, kind: str, text: str) -> str:
    return f"· {day} {kind} {text}"


def lookup_which(name: str) -> str:
    return f"「{name}」可能是这几家，点一家查看："


def lookup_none(name: str) -> str:
    return f"没找到「{name}」。拜访或通话后发一句话给我，就会自动建好线索。"


def owned_by_other_lookup(lead: str, owner: str | None) -> tuple[str, ...]:
    return (f"「{lead}」由{owner or '其他同事'}负责，详情请找{owner or '你的主管'}。",)


# ---------------------------------------------------------------- 我的线索, 今日待办, 撤销

MY_LEADS = "我的线索"
NO_LEADS = "你名下还没有线索。拜访或通话后发一句话给我，就会自动建好。"
TODAY = "今日待办"
NOTHING_DUE = "今天没有到期的跟进，可以去开发新客户了 💪"
OVERDUE = "⚠️ 已逾期"
DUE = "⏰"
TODAY_NOTE = "跟进后发一句话记录，提醒会自动完成。"


# 我的线索 红灯 / 黄灯 / 绿灯: the words a rep types, and how the view is named.
LIGHT_FILTERS = {
    "红灯": "red",
    "红": "red",
    "🔴": "red",
    "黄灯": "yellow",
    "黄": "yellow",
    "🟡": "yellow",
    "绿灯": "green",
    "绿": "green",
    "🟢": "green",
}
LIGHT_FILTERS_SHOWN = {"red": "🔴红灯", "yellow": "🟡黄灯", "green": "🟢绿灯"}
NO_LEADS_IN_VIEW = "没有符合条件的线索。"


def next_page(left: int, view: str, page: int, pages: int) -> str:
    ask = f"我的线索 {view} {page}" if view else f"我的线索 {page}"
    return f"……还有 {left} 条（第{page - 1}/{pages}页），回复「{ask}」看下一页"


def counted(title: str, n: int) -> str:
    return f"{title}（{n}）"


def next_follow_up(when: str) -> str:
    return f"下次 {when}"


def my_leads_note(counts: dict[str, int], rules: Rules) -> str:
    return f"🟢{counts['green']} 🟡{counts['yellow']} 🔴{counts['red']}  {light_legend(rules)}"


def nothing_to_undo(rules: Rules) -> str:
    return f"{rules.undo_minutes}分钟内没有可撤销的记录。"


def undone(name: str, *, lead_deleted: bool) -> str:
    extra = "，这条记录新建的线索也已删除" if lead_deleted else ""
    return f"已撤销对「{name}」的上一条记录{extra}。"


# ---------------------------------------------------------------- 分配 (managers)

NO_TEAM_MEMBERS = "（团队里还没有销售）"
ASSIGN_NO_CUSTOMER = "没认出是哪家客户：请写上公司名或手机号，例如「分配 上海申通包装 钱工 给 李四」。"


def assign_usage(names: str) -> tuple[str, ...]:
    return ("用法：分配 客户公司 联系人 电话 给 销售姓名", f"可以分配给：{names}")


def already_owned(lead: str, rep: str) -> str:
    return f"「{lead}」已经由{rep}负责了。"


def assigned(lead: str, rep: str, untouched_hours: int | None) -> str:
    """To the manager; `untouched_hours` when the lead has no activity yet and will be watched."""
    done = f"已把「{lead}」分配给{rep}，已通知对方。"
    return done + f"{untouched_hours}小时（工作日）内没人跟进会提醒你。" if untouched_hours else done


# ---------------------------------------------------------------- reminder buttons

REMINDER_DONE_NOTE = "已完成跟进（来自提醒）"
REMINDER_DONE_LINE = "已记为一次跟进。有新情况或下次约好了时间，发一句话告诉我。"
ASK_NEW_TIME = "好的，请直接回复新的跟进时间，例如「周五下午3点」或「下周一上午」。"


def reminder_done_title(lead: str) -> str:
    return f"已完成：{lead}"


def postponed(when: str) -> str:
    return f"好的，推迟到{when}再提醒你。"


def rescheduled(when: str) -> str:
    return f"好的，改到{when}提醒你。"


# ---------------------------------------------------------------- alert buttons (managers)

TAKEN = "已认领，亲自跟进"


def handled(who: str, outcome: str, moment: datetime) -> str:
    return f"{who}{outcome}（{moment.month}月{moment.day}日 {moment:%H:%M}）"


def nudged(owners: str) -> str:
    return f"已提醒{owners}跟进"


def reassigned_to(name: str) -> str:
    return f"已改派给{name}"


def snoozed(until: str) -> str:
    return f"选择暂缓，{until}仍未跟进会再提醒"


# ---------------------------------------------------------------- reminders pushed

REMINDER_BUTTONS = ("已完成", "推迟1天", "改时间")
REMINDER_NOTE = "跟进后发一句话记录情况，提醒会自动完成。"


def sop_reminder(lead: str, amount: str, day: str) -> tuple[str, str]:
    return f"跟进节奏提醒：{lead}", f"这是重点客户（{amount}），按跟进节奏第{day}天需要再联系一次。"


def follow_up_reminder(lead: str, when: str) -> tuple[str, str]:
    return f"该跟进了：{lead}", f"约定的跟进时间：{when}"


CUSTOMER, CONTACT, PHONE, KIND, STAGE, TAGS, AMOUNT, NEXT = (
    "客户",
    "联系人",
    "电话",
    "类型",
    "阶段",
    "标签",
    "金额",
    "下次跟进",
)

# ---------------------------------------------------------------- alerts pushed to managers

ALERT_UNTOUCHED_TITLE = "高风险待介入"
ALERT_RED_TITLE = "线索转红：长期未跟进"
ALERT_TAKE, ALERT_NUDGE, ALERT_REASSIGN = "我来跟进", "提醒销售", "改派…"
REASSIGN_TITLE = "改派给谁？"
NO_ONE_TO_REASSIGN = "团队里没有其他销售可以改派。请联系管理员把成员加入团队。"


def alerts_counted(title: str, n: int) -> str:
    return f"{title}（{n}条）"


def owned_by(lead: str, owner: str) -> str:
    return f"{lead}（{owner}负责）"


def alert_untouched(who: str, assigned_on: str) -> str:
    return f"🆕 {who}：分配于{assigned_on}，至今无人跟进"


def alert_red(who: str, days: int, risk_words: tuple[str, ...]) -> str:
    """`risk_words` of the lead's last note, quoted when there are any."""
    quoted = f"，上次提到「{'、'.join(risk_words)}」" if risk_words else ""
    return f"🔴 {who}：已{days}天没有跟进{quoted}"


def alert_more(n: int) -> str:
    return f"……另有 {n} 条线索需要关注，明早的主管早报里有汇总。"


def snooze_button(rules: Rules) -> str:
    return f"暂缓{rules.snooze_hours}小时"


def reassign_choice(lead: str, owner: str) -> str:
    return f"· {lead}（现由{owner}负责）"


def nudge(lead: str, manager: str) -> tuple[str, str]:
    return f"主管提醒：请尽快跟进「{lead}」", f"{manager}提醒你跟进这条线索。跟进后发一句话记录即可。"


def reassigned_to_you(lead: str, previous: str, manager: str) -> tuple[str, str]:
    return f"新线索分配给你：{lead}", f"{manager}把「{lead}」从{previous}改派给你，请尽快联系。"


def reassigned_away(lead: str, new_owner: str, manager: str) -> str:
    return f"{manager}已把「{lead}」改派给{new_owner}，你无需再跟进。"


def assigned_to_you(lead: str, manager: str, rules: Rules) -> tuple[str, str]:
    return (
        f"新线索分配给你：{lead}",
        f"{manager}把「{lead}」交给你，请在{rules.untouched_hours}小时（工作日）内首次联系，联系后发一句话记录。",
    )


# ---------------------------------------------------------------- mornings

MORNING_TITLE = "今日必做"
MORNING_NOTE = "跟进后发一句话记录，我会帮你更新。"
PRESSING_REASONS = {"overdue": "已逾期", "today": "今天到期", "red": "很久没跟进", "untouched": "分配后还没联系"}
DIGEST_TITLE = "主管早报"
DIGEST_NOTHING_DUE = "📅 今日没有到期的跟进"
DIGEST_WORST = "最久未跟进："


def digest_hello(manager: str) -> str:
    return f"早上好，{manager}。团队今天的情况："


def digest_due(n: int) -> str:
    return f"📅 今日待跟进 {n} 条："


def digest_due_line(lead: str, owner: str, when: str) -> str:
    return f"  · {lead}（{owner}）{when}"


def digest_counts(high_risk: int, red: int, yellow: int) -> str:
    return f"⚠️ 高风险待介入 {high_risk} 条 · 🔴 {red} 条 · 🟡 {yellow} 条"


def digest_forecast(forecast: str, target: str, gap: str) -> str:
    return f"🎯 本月预测 {forecast} / 目标 {target}，缺口 {gap}"


def digest_forecast_no_target(forecast: str) -> str:
    return f"🎯 本月预测 {forecast}（未设目标）"


def digest_worst_line(lead: str, owner: str, days: int) -> str:
    return f"  · {lead}（{owner}，{days}天）"


def digest_trend(this_week: int, change: int) -> str:
    trend = f"比上周同期{'多' if change > 0 else '少'}{abs(change)}条" if change else "与上周同期持平"
    return f"📈 本周已记录跟进 {this_week} 条，{trend}。"


# ---------------------------------------------------------------- the weekly leaderboard

MEDALS = ("🥇", "🥈", "🥉")


def week_label(week: int, first: date, last: date) -> str:
    return f"第{week}周（{first.month}月{first.day}日–{last.month}月{last.day}日）"


def leaderboard_title(team: str, label: str) -> str:
    return f"{team} · {label} 排行榜"


LEADERBOARD_EMPTY = "上周还没有人记录跟进，这周加油！"


def stars(names: str) -> str:
    return f"🏆 上周CRM之星：{names}"


def touch_rate_label(rules: Rules) -> str:
    return f"{rules.untouched_hours}小时首次跟进率"


def leaderboard_line(
    medal: str, name: str, *, activities: int, new_leads: int, advances: int, won: str, rate: str, rules: Rules
) -> str:
    return (
        f"{medal} {name}：跟进{activities}条，新线索{new_leads}个，推进{advances}次{won}，"
        f"{touch_rate_label(rules)}{rate}"
    )


def won_part(won: int, amount: str) -> str:
    return f"，成交{won}单 {amount}"


def lost_last_week(total: int, reasons: str) -> str:
    return f"📉 上周丢单 {total} 单：{reasons}"


def leaderboard_note(total: int) -> str:
    return f"全组上周共记录跟进 {total} 条。积分 = 跟进 + 新线索×2 + 推进×3 + 成交×10。"


def my_week_title(label: str) -> str:
    return f"你的{label}战绩"


def my_rank(rank: int, total: int) -> str:
    return f"第{rank}名 / 共{total}人"


RANK, ACTIVITIES, NEW_LEADS, ADVANCES, WON = "团队排名", "跟进记录", "新线索", "阶段推进", "成交"


def entries(n: int) -> str:
    return f"{n}条"


def pieces(n: int) -> str:
    return f"{n}个"


def times(n: int) -> str:
    return f"{n}次"


def won_count(won: int, amount: str | None) -> str:
    return f"{won}单 {amount}" if amount else f"{won}单"


# ---------------------------------------------------------------- corrections, outcomes and merging

REFUSALS.update(
    {
        Why.NO_NOTE: "今天还没有可更正的记录。要改某个客户，请在前面写上编号或名称，如「#3 阶段 报价」。",
        Why.MERGE_SAME: "要合并的是同一条线索。",
        Why.MERGE_GONE: "这次合并已经撤销过了。",
        Why.MERGE_EXPIRED: "合并已超过10分钟，不能撤销了。",
    }
)
REFUSALS.update(
    {
        Why.USER_NOT_IN_SCOPE: "这位同事不在你管理的团队里，你没有权限查看。",
        Why.TEAM_NOT_IN_SCOPE: "这个团队不归你管理，你没有权限查看。",
    }
)

WHICH_LEAD = "哪一家？"
CORRECTED = "已更正"
REASON, LOST_WORDS = "原因", "说明"
UNDO_MERGE_BUTTON = "撤销合并"
NOTHING_TO_UNDO_MERGE = "10分钟内没有可撤销的合并。"
BAD_PHONE = "这个手机号不对，请发11位手机号，如「电话 13912345678」。"
BAD_FOLLOW_UP = "没看懂这个时间，可以写「下次跟进 周五下午3点」或「下次跟进 12月3日」。"
LOST_REASONS = {"price": "价格", "competitor": "竞品", "no_budget": "没预算", "other": "其他"}


def which_lead(target: str, example: str) -> tuple[str, ...]:
    return (f"「{target}」对应你的好几个客户，请点一下要改的那家，或回复带编号的指令，如「{example}」。",)


def which_lead_line(lead_id: int, name: str, contact: str | None) -> str:
    return f"#{lead_id} {name}" + (f" {contact}" if contact else "")


def no_such_lead(target: str) -> str:
    return f"你的客户里没有「{target}」。发「我的线索」看看编号，再写「#编号 …」更正。"


def unknown_tag(value: str, labels: list[str]) -> str:
    return f"没有「{value}」这个标签。可用的标签：{'、'.join(labels)}。"


def unknown_stage(value: str, labels: list[str]) -> str:
    return f"没有「{value}」这个阶段。可用的阶段：{'、'.join(labels)}。"


def tag_removed(tag: str, lead: str) -> str:
    return f"已去掉「{tag}」标签（{lead}）。"


def tag_added(tag: str, lead: str) -> str:
    return f"已加上「{tag}」标签（{lead}）。"


def tag_absent(tag: str, lead: str) -> str:
    return f"「{lead}」的记录里本来就没有「{tag}」标签。"


def tag_present(tag: str, lead: str) -> str:
    return f"「{lead}」的记录里已经有「{tag}」标签了。"


def company_set(company: str, lead_id: int) -> str:
    return f"公司名已改为「{company}」（线索 #{lead_id}）。"


COMPANY_WORD, PHONE_WORD = "公司名", "电话"


def held_by_own(what: str, other_id: int, other: str, lead_id: int) -> str:
    merge = f"合并 #{lead_id} 到 #{other_id}"
    return f"这个{what}已在你的线索 #{other_id}（{other}）上，没有改。如果是同一家，回复「{merge}」。"


def held_by_other(what: str, other_id: int, other: str, owner: str) -> str:
    return f"这个{what}已在线索 #{other_id}（{other}）上，由{owner}负责，没有改。"


def contact_set(contact: str, lead: str) -> str:
    return f"联系人已改为{contact}（{lead}）。"


def phone_set(phone: str, lead: str) -> str:
    return f"电话已改为{phone}（{lead}）。"


def follow_up_moved(when: str, lead: str) -> str:
    return f"好的，下次跟进改到{when}，到时提醒你（{lead}）。"


def stage_set(stage: str, lead: str) -> str:
    return f"阶段已改为「{stage}」（{lead}）。"


def stage_unchanged(stage: str, lead: str) -> str:
    return f"「{lead}」本来就在「{stage}」阶段。"


def won_title(lead: str) -> str:
    return f"🎉 赢单：{lead}"


def won_line(was: str) -> str:
    return f"恭喜！阶段从「{was}」改为成交，这条线索不再计入红黄灯和提醒升级。"


def lost_title(lead: str) -> str:
    return f"输单：{lead}"


def lost_line(was: str) -> str:
    return f"阶段从「{was}」改为丢单，原因会计入周报。原因不对可以点下面改。"


def lost_reason_set(reason: str, lead: str) -> str:
    return f"已把「{lead}」的输单原因改为「{reason}」。"


def merged_title(source: str, into: str) -> str:
    return f"已合并：{source} → {into}"


def merged_lines(from_id: int, into_id: int, counts: dict[str, int]) -> tuple[str, ...]:
    moved = (
        f"{counts['activities']}条跟进记录（含标签）、{counts['reminders']}条提醒、{counts['alerts']}条预警、"
        f"{counts['stage_changes']}次阶段变化"
    )
    return (f"线索 #{from_id} 的{moved}已并入 #{into_id}，#{from_id} 已删除。",)


MERGE_NOTE = "合并错了？10分钟内点「撤销合并」或回复「撤销合并」。"


def merge_undone(from_id: int, source: str, into_id: int) -> str:
    return f"已撤销合并：线索 #{from_id}（{source}）已恢复，合并时移入 #{into_id} 的记录都已移回。"


# ---------------------------------------------------------------- people who left (directory sync)

DEACTIVATED = "你的账号已不在公司通讯录中，机器人不再为你记录跟进。如有疑问，请联系管理员。"
REFUSALS[Why.NOTHING_TO_HAND_OVER] = "这位同事的客户已经交接完了。"
HANDOVER_CHOOSE = "请选择接手的同事（点一下即把下列客户全部改派给他）："
NO_ONE_TO_HAND_OVER_TO = "团队里暂时没有可以接手的销售。请联系管理员把成员加入团队。"


def handover_title(leaver: str, n: int) -> str:
    return f"{leaver}已离职，{n}条客户待交接"


def handover_line(lead: str, stage: str) -> str:
    return f"· {lead}（{stage}）"


def handover_more(n: int) -> str:
    return f"……还有{n}条，交接时一并改派"


def handover_button(name: str) -> str:
    return f"改派给{name}"


def handed_over(n: int, new_owner: str, manager: str) -> str:
    return f"✅ {manager}已把{n}条客户改派给{new_owner}"


def digest_left_behind(n: int) -> str:
    return f"👋 离职同事的客户待交接 {n} 条："


def digest_left_behind_line(lead: str, owner: str) -> str:
    return f"  · {lead}（原负责人{owner}）"


# ---------------------------------------------------------------- ledger import (salesbot import leads)

IMPORT_PROBLEMS = {
    "no_name": "没有客户名称，也没有电话",
    "bad_phone": "电话无法识别",
    "bad_date": "日期无法识别",
    "bad_amount": "金额无法识别",
    "bad_stage": "阶段无法识别",
    "no_owner": "没有负责人（可用 --owner 指定默认负责人）",
    "unknown_owner": "负责人不是系统里的同事",
    "ambiguous_owner": "有多位同事叫这个名字，请写成 平台:账号",
}
IMPORT_SHEETS = {
    "skipped": ("跳过的行", ("行号", "原因", "原始内容")),
    "merged": ("合并的行", ("行号", "并入线索", "客户", "补充的信息")),
    "possible": ("可能重复", ("行号", "新建线索", "客户", "可能重复的线索")),
    "columns": ("未识别的列", ("列名", "说明")),
    "notices": ("提示", ("行号", "提示")),
}
IMPORT_UNKNOWN_COLUMN = "未导入：表头不是已知的列名（见 docs/import-export.md）"
IMPORT_FILLED = {"company": "客户名称", "phone": "电话", "contact_name": "联系人", "amount": "金额", "stage": "阶段"}


def import_reason(problem: str, column: str, value: str) -> str:
    where = f"「{column}」列的「{value}」" if column and value else f"「{value}」" if value else ""
    return f"{IMPORT_PROBLEMS[problem]}{'：' + where if where else ''}"


def import_unknown_tags(words: tuple[str, ...]) -> str:
    return f"标签「{'、'.join(words)}」不是已知标签，已写进这条跟进记录"


def import_other_details(contact: str | None, phone: str | None) -> str:
    """What a merged row said that the lead it went into keeps elsewhere (so nothing of the row is lost)."""
    said = [f"联系人 {contact}" if contact else "", f"电话 {phone}" if phone else ""]
    return f"（台账中另有：{'，'.join(s for s in said if s)}）"


def import_tags_line(words: tuple[str, ...]) -> str:
    return f"标签：{'、'.join(words)}"


def import_lead_ref(lead_id: int) -> str:
    return f"#{lead_id}"


# ---------------------------------------------------------------- the cockpit (看板)

CONSOLE_BUTTON = "看板"
CONSOLE_TITLE = "销售看板"
CONSOLE_OPEN = "打开看板"
CONSOLE_ERRORS = {
    400: "请求无效，请返回重试。",
    401: "请从企业微信或飞书里的“看板”按钮进入，或给销售助手发送“看板”获取新链接。",
    403: "链接无效、已过期或已被使用，或你无权查看这一页。请给销售助手发送“看板”获取新链接。",
    404: "没有这一页。",
    500: "看板出错了，请稍后再试。",
}
CONSOLE_ACTED = {"take": "已接手跟进", "nudge": "已提醒销售", "reassign": "已改派", "snooze": "已暂缓"}
SIGNED_OUT = "你已退出看板。需要时在聊天里发送“看板”即可重新进入。"


def console_link(url: str) -> str:
    return f"打开看板（10分钟内有效，仅可使用一次）：\n{url}"
