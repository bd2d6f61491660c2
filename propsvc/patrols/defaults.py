"""The checklists a new community starts with, one per patrol kind [D3], from the source text:
the steward's rounds of the site exterior and the buildings (cleanliness, flyers, lights, lifts,
fitness equipment, fire equipment, doors and windows, parked vehicles, greenery), vacant units
and first renovations (door, lock, windows, window latches, balcony floor drains [R2]),
renovations in progress, fire equipment, greenery and parking.

Supervisors edit them afterwards; this only fills what is missing, so it is safe to call again.
"""
from sqlalchemy import select

from ..extensions import db
from .models import PATROL_KIND_LABELS, ChecklistItem, ChecklistTemplate, PatrolKind

# kind → [(item text, photo required on a problem)]
DEFAULT_CHECKLISTS: dict[PatrolKind, list[tuple[str, bool]]] = {
    PatrolKind.EXTERIOR: [
        ("道路与公共区域环境卫生、垃圾清运", True),
        ("垃圾桶（站）整洁、无满溢", True),
        ("小广告、乱张贴、乱涂画", True),
        ("路灯、景观灯照明", True),
        ("健身器材、儿童游乐设施完好", True),
        ("消防通道畅通、无占用", True),
        ("车辆停放有序、无乱停乱放", True),
        ("绿化带无踩踏、无毁绿", True),
        ("围墙、栏杆、门岗完好", True),
        ("井盖、雨水篦子完好", True),
        ("宣传栏、标识牌完好", False),
    ],
    PatrolKind.BUILDING: [
        ("大堂与楼道卫生", True),
        ("电梯运行正常、轿厢整洁", True),
        ("楼道灯、应急照明", True),
        ("消防器材齐全、无遮挡", True),
        ("单元门、门禁、楼道门窗完好", True),
        ("小广告、乱张贴", True),
        ("楼道堆放杂物", True),
        ("墙面、天花板漏水渗水", True),
        ("信报箱、公告栏完好", False),
    ],
    PatrolKind.VACANT: [
        ("入户门、门锁完好", True),
        ("门窗关闭", True),
        ("窗户插销（窗扣）完好", True),
        ("阳台地漏通畅", True),
        ("墙面、天花板无渗水漏水", True),
        ("水电表读数正常、无异常走字", True),
        ("室内无异味、无虫害", False),
    ],
    PatrolKind.RENOVATION: [
        ("装修许可证在门口张贴", True),
        ("施工时间符合规定", False),
        ("装修垃圾及时清运、袋装", True),
        ("未改动承重墙、管道", True),
        ("卫生间、阳台防水", True),
        ("现场配备灭火器、无违规动火", True),
        ("施工人员持装修人员出入证", False),
        ("公共区域保护、无污损", True),
    ],
    PatrolKind.FIRE: [
        ("灭火器压力正常、在有效期内", True),
        ("消防栓（箱）完好、器材齐全", True),
        ("应急灯正常", True),
        ("疏散指示标志正常", True),
        ("消防通道、安全出口畅通", True),
        ("防火门关闭、闭门器完好", True),
        ("消防报警设施无故障", True),
    ],
    PatrolKind.GREENERY: [
        ("草坪、花木修剪整齐", True),
        ("无枯死苗木、无病虫害", True),
        ("绿地无垃圾、无杂物", True),
        ("无踩踏、无私自占绿种菜", True),
        ("浇灌设施完好", True),
        ("树木无倒伏、无危险枝", True),
    ],
    PatrolKind.PARKING: [
        ("车辆停放有序、停在车位内", True),
        ("消防通道无车辆占用", True),
        ("道闸、收费设施正常", True),
        ("车库照明、通风正常", True),
        ("车库地面无积水、无渗漏", True),
        ("充电区域安全、无飞线充电", True),
        ("标识标线清晰", False),
    ],
}


def ensure_patrol_defaults(community_id: int) -> None:
    """One checklist per patrol kind, with its items, for a community that has none of that
    kind yet (active or retired). Idempotent; never touches an existing checklist. Patrols'
    part of setting up a community (core.hooks.COMMUNITY_SETUP)."""
    have = set(db.session.scalars(
        select(ChecklistTemplate.kind).where(ChecklistTemplate.community_id == community_id)))
    for kind, items in DEFAULT_CHECKLISTS.items():
        if kind in have:
            continue
        template = ChecklistTemplate(community_id=community_id, kind=kind,
                                     name=f"{PATROL_KIND_LABELS[kind]}巡查表", active=True)
        template.items = [ChecklistItem(text=text, sort=i, photo_required=photo, active=True)
                          for i, (text, photo) in enumerate(items)]
        db.session.add(template)
    db.session.flush()
