"""Reading a unit search the way people type it on a Chinese IME — the one normaliser every
unit picker uses (房屋查询, ticket intake, visitors, parcels and mail, access cards, renovation,
release slips, patrols and their plans, the reveal audit's unit filter).

The canonical unit form is the app's Unit.code, building-entrance-number: "3-2-1201" is
building 3, entrance (单元) 2, home 1201. All of these read as 3-2-1201:

    3-2-1201   ３-２-１２０１   3#2-1201   3/2/1201   3 2 1201   3栋2单元1201   3号楼2单元1201室
    3幢2单元1201   三栋二单元1201   3栋两单元1201   3－2－1201 (IME dashes)

and parts are fine too: 3栋二单元 (building 3, entrance 2: that entrance's homes), 3-2- or 3/2/
(a trailing separator: the same), 3栋 (the building), 3-1201 or 3栋1201 (home 1201 in any
entrance), 2单元1201, 1201室.

Markers: 栋 幢 座 号楼 # (building), 单元 (entrance), 室 (home; 号 at the end too). Separators:
- / \\ and spaces. Without markers the parts are read in order: two parts are building and home
(3-1201), three are building, entrance and home. Chinese numerals 零〇一…九十 and 两 are read as
numbers (一 … 十二, 二十三; 一二零一 digit by digit) in a unit code only, so names keep theirs
(张三 is a name, 三栋 is building 3; 王国栋 stays a name).

parse_unit_query() is pure: it returns None for text that is not a unit code (the caller
searches names), a UnitCode, or raises UnitCodeError for what looks like a code but cannot be
read (a Chinese sentence the caller shows).
"""
import re
from dataclasses import dataclass

__all__ = ["UnitCode", "UnitCodeError", "chinese_number", "parse_unit_query"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_RUN = re.compile("[零〇一二两三四五六七八九十]+")

BUILDING_MARKERS = ("号楼", "栋", "幢", "座", "#")
ENTRANCE_MARKERS = ("单元",)
ROOM_MARKERS = ("室",)
_SEPARATORS = "-/\\ "
_MARKER_SPACES = re.compile(r" ?(号楼|单元|[栋幢座#室号]) ?")  # 3 栋 2 单元 1201
_TOKEN = re.compile(r"[0-9A-Za-z]+|号楼|单元|[栋幢座#室号]|[-/\\ ]+")
# Something a person meant as a unit code: only digits, letters, markers and separators, with at
# least one digit or Chinese numeral.
_CODE_CHARS = re.compile(r"[0-9A-Za-z零〇一二两三四五六七八九十号楼栋幢座单元室#\-/\\ ]+")
FORMAT_HINT = "房号格式不正确，请按“栋-单元-房号”输入，如 3-2-1201 或 3栋2单元1201。"

B, E, R = "building", "entrance", "room"
_ORDER = {B: 0, E: 1, R: 2}


class UnitCodeError(ValueError):
    pass


@dataclass(frozen=True)
class UnitCode:
    """A unit code, whole or in part: building, entrance and/or home number (None = any)."""

    building: str | None = None
    entrance: int | None = None
    number: str | None = None

    @property
    def complete(self) -> bool:
        return None not in (self.building, self.entrance, self.number)

    @property
    def code(self) -> str:
        """The canonical form, e.g. 3-2-1201; parts left out are "*" (3-2-*, 3-*-1201)."""
        return "-".join("*" if p is None else str(p) for p in (self.building, self.entrance, self.number))

    @property
    def label(self) -> str:
        """As the app writes it: 3栋2单元1201, 3栋2单元, 3栋 …1201, 1201室."""
        out = ""
        if self.building is not None:
            out += f"{self.building}栋"
        if self.entrance is not None:
            out += f"{self.entrance}单元"
        if self.number is not None:
            out += self.number if out else f"{self.number}室"
        return out


def chinese_number(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 九十九 → 99, 两 → 2, 一二零一 → 1201 (digit by digit);
    None for anything else (一百, 十十 …)."""
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    t = _CN_DIGITS[tens] if tens else 1
    o = _CN_DIGITS[ones] if ones else 0
    if t == 0 or (ones and o == 0):
        return None  # 零十, 十零
    return t * 10 + o


def _arabic(text: str) -> str | None:
    """Chinese numerals in `text` as digits, or None when a run of them is not a number."""
    out, pos = [], 0
    for m in _CN_RUN.finditer(text):
        n = chinese_number(m.group())
        if n is None:
            return None
        out.append(text[pos:m.start()])
        out.append(str(n))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _tokens(text: str) -> list[str] | None:
    tokens, pos = [], 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            return None
        tokens.append(m.group())
        pos = m.end()
    return tokens if pos == len(text) else None


def _kind_of_marker(tok: str, is_last: bool, is_first: bool) -> str | None:
    if tok in BUILDING_MARKERS:
        return B
    if tok in ENTRANCE_MARKERS:
        return E
    if tok in ROOM_MARKERS:
        return R
    if tok == "号":  # 1201号 (a home) or 3号2单元… (a building)
        return R if is_last else B if is_first else None
    return None


def parse_unit_query(text: str) -> UnitCode | None:
    """`text` (already through core.normalize.clean_query) read as a unit code; see the module
    docstring. None: not a unit code (search names). Raises UnitCodeError when the text has a
    number (digits or Chinese numerals) but cannot be read as a code; without one it is a name."""
    if not text or not _CODE_CHARS.fullmatch(text):
        return None
    converted = _arabic(text)
    digits = any(ch.isdigit() for ch in text)
    meant_as_code = digits or (_has_marker(text) and _CN_RUN.search(text) is not None)
    try:
        if converted is None:
            raise UnitCodeError(FORMAT_HINT)  # 一百, 十十: numerals that are no number here
        code = _read(converted)
    except UnitCodeError:
        if meant_as_code:
            raise
        return None  # letters or numerals only (A栋x, 栋): leave it to the name search
    if code is not None and not digits and not _has_marker(text):
        return None  # numerals or letters alone (十二, 一一, Tom) are a name, not a unit code
    return code


def _has_marker(text: str) -> bool:
    return any(m in text for m in BUILDING_MARKERS + ENTRANCE_MARKERS + ROOM_MARKERS + ("号",))


def _read(converted: str) -> UnitCode | None:
    tokens = _tokens(_MARKER_SPACES.sub(r"\1", converted).upper())
    if tokens is None:
        raise UnitCodeError(FORMAT_HINT)
    # Parts: [value, kind or None]; a marker names the kind of the value before it.
    parts: list[list] = []
    trailing_separator = False
    for i, tok in enumerate(tokens):
        if tok[0].isascii() and tok[0].isalnum():
            parts.append([tok, None])
            trailing_separator = False
        elif tok[0] in _SEPARATORS:
            if not parts or trailing_separator or len(tok.replace(" ", "")) > 1:
                raise UnitCodeError(FORMAT_HINT)  # -2-1201, 3--1201: a part left out
            trailing_separator = True
        else:
            if not parts or parts[-1][1] is not None or trailing_separator:
                raise UnitCodeError(FORMAT_HINT)  # a marker with no number before it: 栋2单元
            kind = _kind_of_marker(tok, is_last=i == len(tokens) - 1, is_first=len(parts) == 1)
            if kind is None:
                raise UnitCodeError(FORMAT_HINT)
            parts[-1][1] = kind
    if not parts:
        return None
    _assign_kinds(parts, trailing_separator)
    found: dict[str, str] = {}
    for value, kind in parts:
        found[kind] = value
    entrance = found.get(E)
    if entrance is not None:
        if not entrance.isdigit() or not 0 < int(entrance) < 1000:
            raise UnitCodeError(f"单元号“{entrance}”不正确，应为数字，如 3-2-1201 中的 2。")
        entrance = int(entrance)
    building, number = found.get(B), found.get(R)
    for value in (building, number):
        if value is not None and len(value) > 16:
            raise UnitCodeError(FORMAT_HINT)
    return UnitCode(building, entrance, number)


def _assign_kinds(parts: list[list], trailing_separator: bool) -> None:
    """Give unmarked parts their kinds from their places, checking the order building →
    entrance → home. Raises UnitCodeError."""
    marked = [k for _, k in parts if k is not None]
    if len(set(marked)) != len(marked):
        raise UnitCodeError(FORMAT_HINT)
    if not marked:
        n = len(parts)
        if n == 1 and not trailing_separator:
            kinds = [R]  # a bare code like A1201 (a bare number never gets here)
        elif n == 1:
            kinds = [B]  # 3-
        elif n == 2:
            kinds = [B, E] if trailing_separator else [B, R]  # 3-2- / 3-1201
        elif n == 3:
            kinds = [B, E, R]
        else:
            raise UnitCodeError(FORMAT_HINT)
        for p, k in zip(parts, kinds):
            p[1] = k
        return
    # Mixed: each run of unmarked parts takes, in order, the kinds that fit between its marked
    # neighbours; a single part after a building is its home (3栋1201), two are entrance and home.
    i = 0
    while i < len(parts):
        if parts[i][1] is not None:
            i += 1
            continue
        j = i
        while j < len(parts) and parts[j][1] is None:
            j += 1
        lo = _ORDER[parts[i - 1][1]] + 1 if i > 0 else 0
        hi = _ORDER[parts[j][1]] - 1 if j < len(parts) else 2
        free = [k for k in (B, E, R) if lo <= _ORDER[k] <= hi]
        run = parts[i:j]
        if len(run) > len(free):
            raise UnitCodeError(FORMAT_HINT)
        if len(run) == len(free):
            kinds = free
        elif j == len(parts) and not trailing_separator:
            kinds = free[-len(run):]  # the last parts are the home (3栋1201: the home, any entrance)
        else:
            kinds = free[:len(run)]  # 3栋2- → entrance 2
        for p, k in zip(run, kinds):
            p[1] = k
        i = j
    order = [_ORDER[k] for _, k in parts]
    if order != sorted(order):
        raise UnitCodeError(FORMAT_HINT)
