"""The Vietnamese land law's words (Luật Đất đai 2024 and its decrees and circulars).

An article is cited only where it is certain; otherwise the law, decree or circular alone.
"""

from landinfo.profiles.glossary import Glossary, Term

LAND_LAW = "Luật Đất đai số 31/2024/QH15"
CIVIL_CODE = "Bộ luật Dân sự số 91/2015/QH13"
CONSTITUTION = "Hiến pháp 2013"
CIRCULAR_10 = "Thông tư 10/2024/TT-BTNMT (hồ sơ địa chính, Giấy chứng nhận)"
CIRCULAR_26 = "Thông tư 26/2024/TT-BTNMT (đo đạc lập bản đồ địa chính)"
DECREE_101 = "Nghị định 101/2024/NĐ-CP (đăng ký, cấp Giấy chứng nhận, hệ thống thông tin đất đai)"
DECREE_102 = "Nghị định 102/2024/NĐ-CP (quy định chi tiết Luật Đất đai)"
DECREE_99 = "Nghị định 99/2022/NĐ-CP (đăng ký biện pháp bảo đảm)"
NOTARY_LAW = "Luật Công chứng số 46/2024/QH15"
LOCAL_GOVERNMENT_LAW = "Luật Tổ chức chính quyền địa phương 2025"
RESOLUTION_202 = "Nghị quyết 202/2025/QH15 (sắp xếp đơn vị hành chính cấp tỉnh)"
ONE_STOP_DECREE = "Nghị định 61/2018/NĐ-CP (cơ chế một cửa trong giải quyết thủ tục hành chính)"

GLOSSARY = Glossary(
    language="vi",
    title="Bảng thuật ngữ — hồ sơ địa chính Việt Nam (profile vn)",
    terms=(
        # --- the parcel and what describes it --------------------------------------------
        Term(
            english=("parcel", "land parcel"),
            term="thửa đất",
            accepted=("thửa",),
            source=f"{LAND_LAW}, Điều 3 (giải thích từ ngữ)",
            avoid=("lô đất", "mảnh đất", "Thửa đất nào?"),
            note="A form asking the officer to pick a parcel says “Chọn thửa đất”, "
            "not the literal “Thửa đất nào?”.",
        ),
        Term(
            english=("map sheet",),
            term="tờ bản đồ",
            source=CIRCULAR_26,
        ),
        Term(
            english=("parcel number", "lot number"),
            term="số thửa",
            accepted=("thửa đất số", "số hiệu thửa"),
            source=f"{CIRCULAR_26}; {CIRCULAR_10} (mẫu Giấy chứng nhận: “Thửa đất số”)",
            note="A parcel is named by its number and its map sheet: “thửa đất số 12, "
            "tờ bản đồ số 5”.",
        ),
        Term(
            english=("parcel identifier", "canonical parcel identifier"),
            term="mã thửa đất",
            accepted=("số hiệu thửa",),
            source=CIRCULAR_26,
            note="The register's identifier joins the commune's code, the map sheet and "
            "the parcel number; a citizen names the parcel by number and sheet.",
        ),
        Term(
            english=("lot address",),
            term="thửa đất số, tờ bản đồ số",
            source=f"{CIRCULAR_10} (mẫu Giấy chứng nhận, mục thửa đất)",
            note="What the Korean 소재지 지번 is: the parcel named by its number and map "
            "sheet, as the certificate prints it; not its street address (địa chỉ). The "
            "label of that value is “Vị trí thửa đất” (its entry says why).",
        ),
        Term(
            english=("address of the parcel", "parcel address"),
            term="địa chỉ",
            source=f"{CIRCULAR_10} (mẫu Giấy chứng nhận: “Địa chỉ”)",
        ),
        Term(
            english=("land use", "land-use category", "land-use code", "kind of land"),
            term="loại đất",
            accepted=("mục đích sử dụng",),
            source=f"{LAND_LAW}, Điều 9 (phân loại đất); {CIRCULAR_10}",
            note="The 2024 certificate prints “Loại đất”; “mục đích sử dụng đất” is the "
            "law's word for the use the State allows, and both name the category.",
        ),
        Term(
            english=("registered area", "area on the map", "area computed from the boundary"),
            term="diện tích",
            source=f"{CIRCULAR_10} (mẫu Giấy chứng nhận: “Diện tích”)",
            note="Written in m² with a decimal comma and one decimal place (405,9 m²).",
        ),
        Term(
            english=("boundary", "boundaries"),
            term="ranh giới",
            source=f"{LAND_LAW}, Điều 3 (thửa đất); {CIRCULAR_26}",
        ),
        Term(
            english=("cadastral survey extract", "survey extract", "surveyor's file"),
            term="trích đo địa chính",
            accepted=("trích đo",),
            source=CIRCULAR_26,
            note="The surveyor's plan of a parcel to be split or merged, in VN-2000.",
        ),
        Term(
            english=("national grid", "national CRS", "VN-2000"),
            term="VN-2000",
            accepted=("hệ tọa độ quốc gia",),
            source="Quyết định 83/2000/QĐ-TTg (hệ quy chiếu và hệ tọa độ quốc gia VN-2000)",
            note="A province's central meridian and a 3° zone for cadastral maps.",
        ),
        # --- who uses the land ------------------------------------------------------------
        Term(
            english=("land user", "holder of the land-use right"),
            term="người sử dụng đất",
            source=f"{LAND_LAW}, Điều 4",
            avoid=("quyền hiện hành", "chủ đất"),
            note="Land is owned by the people and administered by the State: a holder of a "
            "land-use right is a land user, never an owner of land.",
        ),
        Term(
            english=("holder",),
            term="người sử dụng đất",
            accepted=("người có quyền", "bên nhận thế chấp"),
            source=f"{LAND_LAW}, Điều 4; {CIVIL_CODE}, Điều 317",
            avoid=("chủ sở hữu đất",),
            note="The holders of a parcel are its land users; a list of every right's "
            "holders (a mortgage's too) says “người có quyền”, a mortgage's holder is "
            "“bên nhận thế chấp”.",
        ),
        Term(
            english=("individual",),
            term="cá nhân",
            source=f"{LAND_LAW}, Điều 4",
            note="The holder kind “Person”; an individual is asked for a year of birth, an "
            "organisation is not.",
        ),
        Term(
            english=("household",),
            term="hộ gia đình",
            source=f"{LAND_LAW}, Điều 3 (hộ gia đình sử dụng đất)",
            note="No new allocation to households since 2024; those that used land before "
            "keep their rights and their certificates name every member.",
        ),
        Term(
            english=("residential community",),
            term="cộng đồng dân cư",
            source=f"{LAND_LAW}, Điều 4",
        ),
        Term(
            english=("organisation", "organization"),
            term="tổ chức",
            source=f"{LAND_LAW}, Điều 4",
        ),
        Term(
            english=("religious organisation", "religious organization"),
            term="tổ chức tôn giáo",
            source=f"{LAND_LAW}, Điều 4",
        ),
        Term(
            english=("overseas Vietnamese", "Vietnamese residing abroad"),
            term="người Việt Nam định cư ở nước ngoài",
            accepted=("người gốc Việt Nam định cư ở nước ngoài",),
            source=f"{LAND_LAW}, Điều 4",
            avoid=("Việt kiều",),
            note="The law distinguishes Vietnamese citizens residing abroad from people of "
            "Vietnamese origin residing abroad; “Việt kiều” is the newspaper's word.",
        ),
        Term(
            english=("foreign-invested", "foreign-invested economic organisation"),
            term="tổ chức kinh tế có vốn đầu tư nước ngoài",
            accepted=("có vốn đầu tư nước ngoài",),
            source=f"{LAND_LAW}, Điều 4",
        ),
        Term(
            english=("the State",),
            term="Nhà nước",
            source=f"{CONSTITUTION}, Điều 53; {LAND_LAW}",
            note="Land belongs to the entire people, the State represents the owner: the "
            "State allocates, leases and recognises land-use rights; it is no land user.",
        ),
        Term(
            english=("share",),
            term="phần quyền",
            accepted=("phần quyền sử dụng đất",),
            source=f"{CIVIL_CODE}, Điều 209 (sở hữu chung theo phần); {LAND_LAW}",
            note="Co-users of a parcel each hold a share of its land-use right, written as "
            "a fraction of the whole parcel.",
        ),
        Term(
            english=("form of use",),
            term="hình thức sử dụng",
            source=CIRCULAR_10,
        ),
        Term(
            english=("sole use", "private use"),
            term="sử dụng riêng",
            source=CIRCULAR_10,
        ),
        Term(
            english=("common use", "co-use", "shared use", "joint use"),
            term="sử dụng chung",
            source=CIRCULAR_10,
        ),
        Term(
            english=("term of use", "term of the right"),
            term="thời hạn sử dụng",
            source=f"{LAND_LAW}, Điều 171, Điều 172; {CIRCULAR_10}",
        ),
        Term(
            english=("long-term stable use", "indefinite term"),
            term="sử dụng ổn định lâu dài",
            accepted=("lâu dài",),
            source=f"{LAND_LAW}, Điều 171",
        ),
        Term(
            english=("origin of use", "origin of the right"),
            term="nguồn gốc sử dụng",
            source=CIRCULAR_10,
            note="E.g. “Nhà nước giao đất có thu tiền sử dụng đất”, “Công nhận quyền sử "
            "dụng đất”; not the parcel's lineage (tách, hợp thửa).",
        ),
        Term(
            english=("attached asset", "assets attached to the land"),
            term="tài sản gắn liền với đất",
            source=f"{LAND_LAW}; {CIVIL_CODE}, Điều 107 (bất động sản)",
        ),
        # --- rights -------------------------------------------------------------------------
        Term(
            english=("land-use right",),
            term="quyền sử dụng đất",
            source=f"{LAND_LAW}, Điều 3",
        ),
        Term(
            english=("ownership",),
            term="quyền sở hữu",
            accepted=("quyền sử dụng đất",),
            source=f"{LAND_LAW}; {CONSTITUTION}, Điều 53",
            avoid=("quyền sở hữu đất",),
            note="Nobody owns land in Vietnam: the code's “ownership” right is the land-use "
            "right; ownership is only of assets attached to the land.",
        ),
        Term(
            english=("lease",),
            term="thuê đất",
            accepted=("cho thuê",),
            source=f"{LAND_LAW}, Điều 27",
        ),
        Term(
            english=("easement",),
            term="quyền đối với bất động sản liền kề",
            source=f"{CIVIL_CODE}, Điều 245",
        ),
        Term(
            english=("mortgage",),
            term="thế chấp",
            source=f"{CIVIL_CODE}, Điều 317; {DECREE_99}",
            avoid=("cầm cố đất",),
            note="A pledge (cầm cố) hands the thing over; land is mortgaged, never pledged.",
        ),
        Term(
            english=("lender", "mortgagee"),
            term="bên nhận thế chấp",
            source=f"{CIVIL_CODE}, Điều 317",
            avoid=("Bên cho vay",),
            note="The register knows the party of the mortgage, not of the loan.",
        ),
        # --- the certificate, the register and what a citizen gets ---------------------------
        Term(
            english=(
                "land-use right certificate",
                "certificate of land-use rights",
                "certificate no.",
                "area on the certificate",
            ),
            term="Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
            accepted=("Giấy chứng nhận",),
            source=f"{LAND_LAW}, Điều 3; {CIRCULAR_10} (mẫu Giấy chứng nhận)",
            avoid=("sổ đỏ", "sổ hồng"),
            note="Only the State's certificate is a Giấy chứng nhận; what LandInfo prints is "
            "a văn bản cung cấp thông tin đất đai. “Sổ đỏ”, “sổ hồng” are the street's words.",
        ),
        Term(
            english=("certificate serial", "serial number"),
            term="số phát hành",
            accepted=("số seri",),
            source=CIRCULAR_10,
        ),
        Term(
            english=("issuance-book number", "issuance book number"),
            term="số vào sổ cấp Giấy chứng nhận",
            source=CIRCULAR_10,
        ),
        Term(
            english=("cadastral register", "land register"),
            term="sổ địa chính",
            accepted=("cơ sở dữ liệu địa chính", "bản đồ địa chính", "hồ sơ địa chính"),
            source=CIRCULAR_10,
            avoid=("Sổ đăng ký đất đai",),
        ),
        Term(
            english=("cadastral records", "cadastral file"),
            term="hồ sơ địa chính",
            source=CIRCULAR_10,
        ),
        Term(
            # The phrases the code uses for the extract it prints; "certificate" alone is
            # left out, since the State's certificate is named in strings too.
            english=(
                "parcel certificate",
                "this certificate",
                "check a certificate",
                "certificate (PDF)",
                "certificate code",
                "printed certificate",
                "valid certificate",
                "land information statement",
            ),
            term="văn bản cung cấp thông tin đất đai",
            accepted=("văn bản",),
            source=f"{DECREE_101} (cung cấp thông tin, dữ liệu đất đai); before it, Thông tư "
            "34/2014/TT-BTNMT",
            avoid=("Giấy trích lục thông tin thửa đất", "Giấy chứng nhận (PDF)", "trích lục"),
            note="What a citizen is given of one parcel from the land database: its description, "
            "land users, rights and changes. A trích lục bản đồ địa chính or a trích sao sổ địa "
            "chính each give only a part of it; it is not the Giấy chứng nhận.",
        ),
        Term(
            english=("journal",),
            term="sổ theo dõi biến động",
            accepted=("sổ địa chính", "vào sổ"),
            source=CIRCULAR_10,
            avoid=("mục nhật ký", "sổ nhật ký"),
            note="The record, in order, of every registration made; an office does not "
            "keep a diary (nhật ký).",
        ),
        Term(
            english=(
                "journal entry",
                "entry #",
                "which entry",
                "this entry",
                "corrects entry",
                "entry corrected",
            ),
            term="lượt vào sổ",
            source=CIRCULAR_10,
            avoid=("bút toán",),
            note="One registration as entered in the book, numbered in order; “bút toán” is "
            "the accountant's word.",
        ),
        Term(
            english=("date of entry", "recorded on"),
            term="ngày vào sổ",
            source=f"{LAND_LAW}, Điều 45 (hiệu lực kể từ thời điểm đăng ký vào sổ địa chính)",
        ),
        Term(
            english=("public log",),
            term="bản công khai của sổ theo dõi biến động",
            accepted=("sổ theo dõi biến động",),
            source=CIRCULAR_10,
            note="The journal as published for anyone to check, with its checkpoints "
            "(điểm chốt) and witnesses (bên chứng thực).",
        ),
        # --- deeds ---------------------------------------------------------------------------
        Term(
            english=("record a deed", "kind of deed", "kinds of deed", "history of deeds"),
            term="biến động",
            source=f"{LAND_LAW}, Điều 133 (đăng ký biến động)",
            note="What the code calls a deed is, for the office, a registered change "
            "(đăng ký biến động).",
        ),
        Term(
            english=("first registration",),
            term="đăng ký lần đầu",
            source=f"{LAND_LAW}, Điều 132",
            avoid=("đăng ký mới",),
        ),
        Term(
            english=("transfer",),
            term="chuyển quyền",
            accepted=("chuyển nhượng", "tặng cho", "thừa kế"),
            source=f"{LAND_LAW}, Điều 27",
        ),
        Term(
            english=("sale",),
            term="chuyển nhượng",
            source=f"{LAND_LAW}, Điều 27; {CIVIL_CODE}, Điều 500",
            avoid=("mua bán đất", "mua bán quyền sử dụng đất", "mua bán, tặng cho"),
            note="Land-use rights are transferred (chuyển nhượng), not sold (mua bán): "
            "the land is the people's.",
        ),
        Term(
            english=("gift",),
            term="tặng cho",
            source=f"{LAND_LAW}, Điều 27; {CIVIL_CODE}, Điều 457",
            avoid=("quà tặng",),
        ),
        Term(
            english=("inheritance",),
            term="thừa kế",
            source=f"{LAND_LAW}, Điều 27; {CIVIL_CODE}, Điều 609",
        ),
        Term(
            english=("mortgage discharge", "discharge"),
            term="xóa đăng ký thế chấp",
            accepted=("xóa đăng ký",),
            source=DECREE_99,
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
            english=("correction",),
            term="đính chính",
            source=f"{LAND_LAW}, Điều 152",
        ),
        # --- the application and who handles it --------------------------------------------
        Term(
            english=("application",),
            term="hồ sơ",
            source=DECREE_101,
            note="The file of an application for registration (hồ sơ đăng ký).",
        ),
        Term(
            english=("receipt",),
            term="phiếu tiếp nhận",
            accepted=("tiếp nhận",),
            source=ONE_STOP_DECREE,
            note="The slip given when a file is received, with the date the result is due.",
        ),
        Term(
            english=("notary",),
            term="công chứng viên",
            accepted=("công chứng",),
            source=NOTARY_LAW,
        ),
        Term(
            english=("notary office", "notary's office"),
            term="tổ chức hành nghề công chứng",
            source=NOTARY_LAW,
        ),
        Term(
            english=("notarised contract", "notarized contract", "signed deed document"),
            term="hợp đồng, văn bản đã công chứng, chứng thực",
            accepted=("hợp đồng đã công chứng", "đã công chứng, chứng thực"),
            source=f"{LAND_LAW}, Điều 27; {NOTARY_LAW}",
            avoid=("Văn bản đã ký",),
            note="A transfer, gift or mortgage of a land-use right must be notarised or "
            "certified (chứng thực by the commune); a signature alone is not enough.",
        ),
        Term(
            english=("land registration office", "registry office", "land registry office"),
            term="Văn phòng đăng ký đất đai",
            source=f"{LAND_LAW}; {DECREE_101}",
        ),
        Term(
            english=("registrar",),
            term="cán bộ đăng ký",
            accepted=("Văn phòng đăng ký",),
            source=DECREE_101,
            note="The officer of the land registration office who decides an application.",
        ),
        # --- administration, prices, plans ----------------------------------------------------
        Term(
            english=("administrative unit",),
            term="đơn vị hành chính",
            source=f"{LOCAL_GOVERNMENT_LAW}; {RESOLUTION_202}",
            avoid=("Tỉnh, huyện, xã",),
            note="Since 1 July 2025 two levels: tỉnh, thành phố; xã, phường, đặc khu. "
            "There is no district (huyện, quận) any more.",
        ),
        Term(
            english=("province",),
            term="tỉnh",
            accepted=("thành phố",),
            source=f"{LOCAL_GOVERNMENT_LAW}; {RESOLUTION_202}",
        ),
        Term(
            english=("commune",),
            term="xã",
            accepted=("phường", "đặc khu"),
            source=LOCAL_GOVERNMENT_LAW,
        ),
        Term(
            english=("village",),
            term="thôn",
            accepted=("tổ dân phố",),
            source="Thông tư 04/2012/TT-BNV (thôn, tổ dân phố)",
            note="A village is no administrative unit: it has no level of government.",
        ),
        Term(
            english=("official land price", "land price"),
            term="giá đất",
            accepted=("bảng giá đất",),
            source=f"{LAND_LAW}, Điều 159 (bảng giá đất)",
            avoid=("VND/m²",),
            note="Prices per m² are written in đồng/m².",
        ),
        Term(
            english=("zoning",),
            term="quy hoạch sử dụng đất",
            accepted=("quy hoạch",),
            source=LAND_LAW,
        ),
    ),
)
