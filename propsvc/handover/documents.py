"""The handover's papers [H3][H4] through the shared documents service (serial, seal, QR, /v/…):
前期服务协议 (with 消防安全责任书 and 养犬管理协议) and 业主临时规约 in two copies (业主联 / 物业联),
承诺书, 物品及资料签领表 (with the owner file's checklist, 业主档案资料目录), 验房记录. Each is
issued and sealed when the owner has signed on the pad, and prints what was frozen then. The
day and batch summaries are plain PDFs (no serial): see summary.py."""
import base64
from pathlib import Path

from flask import current_app

from ..core.timefmt import site_today
from ..documents import service as docs
from ..documents.models import DocKind
from ..registry.masking import mask_id  # noqa: F401  (the papers print no ID numbers)
from .models import HandoverCard

TWO_COPIES = ["业主联", "物业联"]

AGREEMENT = [
    "甲方（物业服务企业）依法为本物业提供前期物业服务，乙方（业主）按约定交纳物业服务费。",
    "服务内容：共用部位及共用设施设备的维修养护、公共秩序维护、清洁卫生、绿化养护及客户服务。",
    "乙方装修房屋须事先申请，遵守装修管理规定，装修期内按规定办理装修人员出入证。",
    "附件一《消防安全责任书》：乙方不得占用、堵塞消防通道，不得损坏消防设施，室内不得存放易燃易爆物品。",
    "附件二《养犬管理协议》：乙方养犬须依法登记、文明牵引，及时清理犬只粪便，不得影响他人生活。",
    "本协议一式两份，甲乙双方各执一份，自业主签字之日起生效，至业主委员会与物业服务企业签订的物业服务合同生效时终止。",
]
COVENANT = [
    "全体业主应遵守法律法规及本临时规约，维护全体业主的共同利益。",
    "业主不得擅自改变房屋结构、外观和用途，不得占用共用部位及共用设施设备。",
    "业主应按时交纳物业服务费及其他应由业主承担的费用。",
    "业主转让或出租物业时，应将本规约作为合同附件，并告知物业服务企业。",
    "本规约一式两份，业主与物业服务企业各执一份，自业主签字之日起生效。",
]
PLEDGE = [
    "本人已阅读并同意遵守《前期服务协议》《业主临时规约》及本小区的装修管理规定。",
    "本人承诺按时交纳物业服务费，文明居住，不从事危害公共安全和他人合法权益的行为。",
    "本人所提供的业主档案信息真实有效，如有变更及时告知物业服务中心。",
]
FILE_CONTENTS = ["业主档案封皮", "住户情况登记表", "身份证明/委托书", "前期服务协议", "业主临时规约", "承诺书",
                 "物品及资料签领表", "验房记录"]


def _png_src(rel: str | None) -> str | None:
    if not rel:
        return None
    try:
        data = Path(current_app.config["UPLOAD_FOLDER"], rel).read_bytes()
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _common(card: HandoverCard, signature_rel: str | None) -> dict:
    return {"unit": card.unit.label, "owners": card.buyer_names, "signed_on": site_today().isoformat(),
            "signature_src": _png_src(signature_rel)}


def _issue(kind: DocKind, card: HandoverCard, data: dict, actor):
    doc = docs.for_object(card, kind)
    if doc is not None:
        return doc
    doc = docs.create(kind, card, data, community_id=card.community_id)
    return docs.approve(doc, actor)


def issue_agreements(card: HandoverCard, signature_rel: str, actor) -> list:
    """[H3] The agreements signed at 协议签订处: two copies each, and the pledge."""
    base = _common(card, signature_rel)
    return [_issue(DocKind.HO_AGREEMENT, card, {**base, "copies": TWO_COPIES, "clauses": AGREEMENT}, actor),
            _issue(DocKind.HO_COVENANT, card, {**base, "copies": TWO_COPIES, "clauses": COVENANT}, actor),
            _issue(DocKind.HO_PLEDGE, card, {**base, "copies": [], "clauses": PLEDGE}, actor)]


def file_contents(card: HandoverCard) -> list[tuple[str, bool]]:
    """业主档案资料目录: what the owner file holds and what is missing."""
    have = {
        "业主档案封皮": card.filed_at is not None, "住户情况登记表": card.filed_at is not None,
        "身份证明/委托书": card.came_as == "owner" or bool(card.poa_photo),
        "前期服务协议": docs.for_object(card, DocKind.HO_AGREEMENT) is not None,
        "业主临时规约": docs.for_object(card, DocKind.HO_COVENANT) is not None,
        "承诺书": docs.for_object(card, DocKind.HO_PLEDGE) is not None,
        "物品及资料签领表": docs.for_object(card, DocKind.HO_SIGNOFF) is not None,
        "验房记录": docs.for_object(card, DocKind.HO_INSPECTION) is not None,
    }
    return [(name, have[name]) for name in FILE_CONTENTS]


def issue_signoff(card: HandoverCard, signature_rel: str, actor):
    """[H3] 物品及资料签领表: the items handed out, keys, meters, the steward's WeChat, the file's checklist."""
    keys = "，".join(f"{k['kind']} {k['count']} 把" for k in (card.keys or {}).get("sets", []))
    meters = "，".join(f"{m['label']} {m['reading']}" for m in (card.keys or {}).get("meters", []))
    contents = [(n, ok or n == "物品及资料签领表") for n, ok in file_contents(card)]
    return _issue(DocKind.HO_SIGNOFF, card, {**_common(card, signature_rel), "copies": [], "items": list(card.batch.items),
                                             "keys": keys, "meters": meters, "wechat": card.wechat_steward or "",
                                             "contents": contents}, actor)


def issue_inspection(card: HandoverCard, actor, ticket_serials: dict):
    """[H4] 验房记录: the defects and their 返修 tickets, signed by the owner."""
    defects = [{"room": d.room, "item": d.item, "category": d.category, "location": d.location, "note": d.note or "",
                "ticket": ticket_serials.get(d.ticket_id, "")} for d in card.defects]
    return _issue(DocKind.HO_INSPECTION, card, {**_common(card, (card.inspection or {}).get("signature")),
                                                "copies": [], "defects": defects,
                                                "inspector": getattr(actor, "name", "")}, actor)


def card_documents(card: HandoverCard) -> list:
    kinds = (DocKind.HO_AGREEMENT, DocKind.HO_COVENANT, DocKind.HO_PLEDGE, DocKind.HO_SIGNOFF, DocKind.HO_INSPECTION)
    return [d for d in (docs.for_object(card, k) for k in kinds) if d is not None]
