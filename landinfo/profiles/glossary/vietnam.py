"""The Vietnamese land law's words (Luật Đất đai 2024 and its decrees and circulars)."""

from landinfo.profiles.glossary import Glossary, Term

LAND_LAW = "Luật Đất đai số 31/2024/QH15"
CIRCULAR_10 = "Thông tư 10/2024/TT-BTNMT (hồ sơ địa chính, Giấy chứng nhận)"

GLOSSARY = Glossary(
    language="vi",
    title="Bảng thuật ngữ — hồ sơ địa chính Việt Nam (profile vn)",
    terms=(
        Term(
            english=("parcel", "land parcel"),
            term="thửa đất",
            accepted=("thửa",),
            source=f"{LAND_LAW}, Điều 3 khoản 45",
            avoid=("lô đất", "mảnh đất"),
        ),
        Term(
            english=("land user",),
            term="người sử dụng đất",
            source=f"{LAND_LAW}, Điều 4",
            avoid=("quyền hiện hành", "chủ đất"),
            note="Land is owned by the people and administered by the State: a holder of a "
            "land-use right is a land user, never an owner of land.",
        ),
        Term(
            english=("first registration",),
            term="đăng ký lần đầu",
            source=f"{LAND_LAW}, Điều 132",
        ),
        Term(
            english=("subdivision", "subdivide"),
            term="tách thửa",
            source=f"{LAND_LAW}, Điều 220",
        ),
        Term(
            english=("merge", "merger of parcels"),
            term="hợp thửa",
            source=f"{LAND_LAW}, Điều 220",
        ),
        Term(
            english=("mortgage",),
            term="thế chấp",
            source="Bộ luật Dân sự 2015, Điều 317; Nghị định 99/2022/NĐ-CP",
        ),
        Term(
            english=("map sheet",),
            term="tờ bản đồ",
            source="Thông tư 26/2024/TT-BTNMT (bản đồ địa chính)",
        ),
    ),
)
