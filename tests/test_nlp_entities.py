"""Entities: phone, amount, company, contact and activity type."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nlp import ParsedNote, parse_note

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def parse(text: str) -> ParsedNote:
    return parse_note(text, NOW)


@pytest.mark.parametrize(
    "text",
    [
        "电话13912345678",
        "１３９１２３４５６７８",
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "一三九一二三四五六七八",
    ],
)
def test_mobile_number_is_normalized_to_eleven_digits(text: str) -> None:
    assert parse(text).phone == "13912345678"


def test_corrected_phone_number_wins() -> None:
    assert parse("电话13912345678 说错了 是13912345679").phone == "13912345679"


def test_waybill_number_is_not_a_phone() -> None:
    assert parse("顺丰单号13912345678 样品已寄").phone is None


def test_digits_inside_a_longer_number_are_not_a_phone() -> None:
    assert parse("身份证 440902199001011234").phone is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("预算65万", 650000),
        ("报价8w", 80000),
        ("项目2.5亿", 250000000),
        ("预算十七万五", 175000),
        ("三百多万的项目", 3000000),
        ("合同金额 1,200,000元", 1200000),
    ],
)
def test_amount_is_read_in_yuan(text: str, amount: int) -> None:
    assert parse(text).amount == amount


def test_an_amount_after_a_comma_is_read() -> None:
    assert parse("恒亿合同盖章回来了，38万，首款30%下周到账").amount == 380000


def test_quantity_is_not_an_amount() -> None:
    assert parse("包材订单 20万只").amount is None


def test_unit_price_is_not_the_amount() -> None:
    assert parse("单价1.2万一台 采购20台 总价24万").amount == 240000


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("电池包报了4.8k一块，要20块，共9.6万", 96_000),  # a price per thing, then the total
        ("飞防每亩7元，2万亩，共14万", 140_000),
        ("一台无人机加四块电池 报的是六万八", 68_000),  # 四块 counts batteries
        ("我们报5.9万一台，他说比大疆贵3千", None),  # a price per unit and a difference
    ],
)
def test_prices_per_thing_counts_and_differences_give_way_to_the_total(text: str, amount: int | None) -> None:
    assert parse(text).amount == amount


def test_price_difference_is_not_an_amount() -> None:
    assert parse("对手报价低了三万").amount is None


def test_company_keeps_location_written_before_it() -> None:
    assert parse("今天拜访杭州华力机械王总").company == "杭州华力机械"


def test_location_joined_with_de_is_dropped_from_company() -> None:
    assert parse("去杭州的娃哈哈集团拜访了宗总").company == "娃哈哈集团"


def test_company_without_suffix_before_the_contact_is_found() -> None:
    assert parse("跟萧山传化的牛总约了周五").company == "萧山传化"


def test_first_item_of_a_typed_note_is_the_company() -> None:
    assert parse("比亚迪 采购 说不用看了").company == "比亚迪"


@pytest.mark.parametrize("contact", ["王总", "钱工", "孙主任", "老胡", "小李", "欧阳总"])
def test_contact_is_read_as_referred_to(contact: str) -> None:
    assert parse(f"见了{contact} 要报价").contact_name == contact


def test_full_name_after_a_contact_cue_is_the_contact() -> None:
    assert parse("联系人：刘洋 15012345678").contact_name == "刘洋"


def test_bare_role_is_no_contact() -> None:
    assert parse("采购说要比价").contact_name is None


def test_title_inside_the_company_name_is_no_contact() -> None:
    assert parse("广西柳工机械 查总").contact_name == "查总"


@pytest.mark.parametrize(
    ("text", "activity"),
    [
        ("今天拜访王总", "visit"),
        ("给王总打电话", "call"),
        ("加了微信", "wechat"),
        ("腾讯会议聊了方案", "meeting"),
        ("给客户演示了系统", "demo"),
        ("发了报价", "quote"),
        ("寄样两台", "sample"),
        ("签合同了", "contract"),
        ("客户嫌贵", "other"),
    ],
)
def test_activity_type_comes_from_the_first_activity_word(text: str, activity: str) -> None:
    assert parse(text).activity_type == activity


def test_phone_label_is_not_a_call() -> None:
    assert parse("王总 电话 13912345678").activity_type == "other"


def test_negated_visit_is_not_a_visit() -> None:
    assert parse("今天没去拜访 电话跟王总聊了一下").activity_type == "call"


def test_company_after_a_visit_word_drops_the_location_joined_with_de() -> None:
    assert parse("周五去常州的东风一拖 再聊").company == "东风一拖"


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("拜访杭州银行科技部 王处说要一份方案", "杭州银行"),
        ("扬子江药业南京研发中心 采购说账期最少六个月", "扬子江药业"),
    ],
)
def test_a_department_written_after_the_company_is_not_part_of_it(text: str, company: str) -> None:
    assert parse(text).company == company


@pytest.mark.parametrize(
    ("text", "customer"),
    [("蓝海仪器的代理又去金桥纺织了", "金桥纺织"), ("恒信达去华源精密做了演示", "华源精密")],
)
def test_a_rival_gone_to_a_customer_is_not_the_customer(text: str, customer: str) -> None:
    assert parse_note(text, NOW).company == customer


def test_places_before_a_name_are_where_the_customer_is_not_the_customer() -> None:
    text = "今天早上跟那个宁波海曙那个 海曙同仁口腔的徐院长聊了一下 要一些样品"
    assert parse_note(text, NOW).company == "海曙同仁口腔"


@pytest.mark.parametrize("text", ["春花姐说教槽料还要一吨，周末前送到", "建军哥说下周再定"])
def test_a_person_called_by_the_given_name_and_jie_or_ge_is_no_company(text: str) -> None:
    assert parse(text).company is None


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("嗯 刚跟那个 永城东关医院 不对 是永城华夏医院 后勤科乔科长打了个电话", "永城华夏医院"),
        ("嗯刚去那个翠亨酒店 不是 翠微酒店 见了林总", "翠微酒店"),
        ("华力机械，不对，是华丽机械 王总说下周签", "华丽机械"),
        ("头一个 内黄县第二中学 不对 学校不是 是内黄县档案馆 后勤的闫主任 要多联机报价", "内黄县档案馆"),
    ],
)
def test_a_company_the_rep_takes_back_gives_way_to_the_one_said_after(text: str, company: str) -> None:
    assert parse(text).company == company


@pytest.mark.parametrize("text", ["华力机械 不是价格的事 王总说下周签", "华力机械说这不是什么大问题 王总说下周签"])
def test_a_negation_after_the_company_is_no_correction_of_it(text: str) -> None:
    assert parse(text).company == "华力机械"


def test_a_time_word_glued_to_a_dictated_name_is_not_part_of_it() -> None:
    assert parse("呃周末梅县高级中学那边电话打过来了").company == "梅县高级中学"


def test_a_rare_character_comes_back_as_written_not_as_a_rarer_simplified_form() -> None:
    assert parse("汕头鮀城酒店要样机！！").company == "汕头鮀城酒店"


@pytest.mark.parametrize("text", ["宋工刚打电话说明天去工地量尺寸，木模板的事儿", "老崔说材料员明天去库里点货"])
def test_where_a_rep_goes_after_a_visit_word_is_no_company(text: str) -> None:
    assert parse(text).company is None


@pytest.mark.parametrize(
    ("text", "plan_or_sum"),
    [
        ("明早飞成都 先去春熙轻颜", "明早飞成都"),
        ("这周先杭州 周二去成都", "这周先杭州"),
        ("去了素妍总部 年框谈下来了 一百一十五万 徐总当场拍板", "一百一十五万"),
        ("拾光皮肤管理西溪店 老板娘说下周一下午三点来公司看demo", "三点来公司"),
    ],
)
def test_a_plan_or_a_sum_is_no_company(text: str, plan_or_sum: str) -> None:
    assert parse(text).company != plan_or_sum


@pytest.mark.parametrize(
    ("text", "contact"),
    [("Max说先试做两周", "Max"), ("悦己天府三街店 试用装寄了 顺丰 Coco查收下", "Coco"), ("刚打给Max 臻颜要了", "Max")],
)
def test_an_english_name_that_speaks_or_is_met_is_the_contact(text: str, contact: str) -> None:
    assert parse(text).contact_name == contact


@pytest.mark.parametrize(
    ("text", "company", "contact"),
    [
        ("今日去咗长安精工，何生睇咗我们的喷粉样件", "长安精工", "何生"),
        ("龙江森雅黄老细话价格太贵", "龙江森雅", "黄老细"),
        ("东莞鸿图五金张采购刚打过来", "东莞鸿图五金", "张采购"),
    ],
)
def test_cantonese_words_and_titles_frame_the_customer(text: str, company: str, contact: str) -> None:
    note = parse(text)
    assert (note.company, note.contact_name) == (company, contact)
