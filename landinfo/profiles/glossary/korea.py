"""The Korean land law's words (공간정보관리법, 부동산등기법, 민법 and the laws they lean on).

Korea keeps two books of land: the cadastre (지적공부: 토지대장, 지적도; 공간정보관리법), which
says where a lot is, its 지목 and its 면적, and the land register (등기부; 부동산등기법), which
says who holds which right. The register shows both, as the 부동산종합공부 does, so its words
come from both laws: a lot is "분할" in the cadastre and its holders "소유권이전" in the register.
"""

from landinfo.profiles.glossary import Glossary, Term

SURVEY_ACT = "공간정보의 구축 및 관리 등에 관한 법률"  # 공간정보관리법
SURVEY_DECREE = "공간정보의 구축 및 관리 등에 관한 법률 시행령"
REGISTRATION_ACT = "부동산등기법"
REGISTRATION_RULES = "부동산등기규칙"
CIVIL_CODE = "민법"
PRICE_ACT = "부동산 가격공시에 관한 법률"
PLANNING_ACT = "국토의 계획 및 이용에 관한 법률"
LOCAL_AUTONOMY_ACT = "지방자치법"

GLOSSARY = Glossary(
    language="ko",
    title="용어집 — 대한민국 지적·등기 (profile kr)",
    terms=(
        # The lot and what the cadastre says of it.
        Term(
            english=("parcel",),
            term="필지",
            accepted=("토지", "지번"),
            source=f"{SURVEY_ACT} 제2조 제21호",
            note="지번 names the parcel (제2조 제22호), so a string about a parcel's number "
            "says 지번 alone; 토지 where the law says 토지 (토지대장, 토지의 표시).",
        ),
        Term(
            english=("parcel number", "lot number"),
            term="지번",
            source=f"{SURVEY_ACT} 제2조 제22호; {SURVEY_DECREE} 제56조",
            note="본번-부번 (12-3); a forest lot (임야대장) is written with 산 before it.",
        ),
        Term(
            english=("lot address",),
            term="소재지 지번",
            accepted=("소재",),
            source=f"{SURVEY_ACT} 제71조 제1항 (토지의 소재, 지번)",
        ),
        Term(
            english=("parcel identifier",),
            term="고유번호",
            source=f"{SURVEY_ACT} 제71조; 토지대장 서식 (같은 법 시행규칙)",
            note="The 19-digit number of the 토지대장: 법정동 code, 대장 kind, 본번, 부번.",
        ),
        Term(
            english=("description of the parcel",),
            term="토지의 표시",
            source=f"{SURVEY_ACT} 제2조 제20호; {REGISTRATION_ACT} 제34조",
        ),
        Term(
            english=("land use", "land-use code", "land-use category"),
            term="지목",
            source=f"{SURVEY_ACT} 제2조 제24호, 제67조; {SURVEY_DECREE} 제58조",
            note="One of the 28 kinds (전, 답, 대 ...), named in full to citizens, never by "
            "its code.",
        ),
        Term(
            english=(
                "registered area",
                "area computed",
                "area on the map",
                "area on the certificate",
                "area of the boundary",
            ),
            term="면적",
            source=f"{SURVEY_ACT} 제2조 제27호, 제68조",
            note="공부상 면적 is the area on the 토지대장; the one computed from the drawn "
            "boundary is 도면상 면적.",
        ),
        Term(
            english=("m²",),
            term="㎡",
            accepted=("제곱미터",),
            source=f"{SURVEY_ACT} 제68조 제1항 (면적의 단위는 제곱미터)",
            avoid=("m²",),
            note="One sign for the unit in every Korean string, as the 토지대장 prints it.",
        ),
        Term(
            english=("retired",),
            term="폐쇄",
            accepted=("말소",),
            source=f"{SURVEY_ACT} 제2조 제28호 (토지의 이동), 제79조, 제80조",
            note="A lot that a subdivision or merge replaced keeps its closed (폐쇄) 토지대장; "
            "말소 is for a lot struck out of the cadastre (바다로 된 토지) and for rights.",
        ),
        Term(
            english=("cadastral register", "cadastral record"),
            term="지적공부",
            source=f"{SURVEY_ACT} 제2조 제19호",
            note="토지대장, 임야대장, 공유지연명부, 대지권등록부, 지적도, 임야도, 경계점좌표등록부.",
        ),
        Term(
            english=("land ledger",),
            term="토지대장",
            source=f"{SURVEY_ACT} 제71조 제1항",
        ),
        Term(
            english=("cadastral map", "map sheet"),
            term="지적도",
            source=f"{SURVEY_ACT} 제2조 제19호, 제72조",
            note="A sheet is named by its 도면번호 and 축척.",
        ),
        Term(
            english=("integrated real-estate register",),
            term="부동산종합공부",
            source=f"{SURVEY_ACT} (부동산종합공부)",
        ),
        Term(
            english=("parcel certificate", "certificate (pdf)"),
            term="부동산종합증명서",
            source=f"{SURVEY_ACT} (부동산종합공부의 열람 및 부동산종합증명서 발급)",
            avoid=("토지 정보 증명서",),
            note="The extract a citizen is given: the lot, its 지목, 면적, 용도지역, "
            "개별공시지가 and its holders, as the 부동산종합공부 holds them.",
        ),
        Term(
            english=("certificate",),
            term="증명서",
            accepted=("부동산종합증명서", "등기사항증명서"),
            source=f"{SURVEY_ACT} (부동산종합증명서); {REGISTRATION_ACT} 제19조",
            note="The register's extract, checked by its QR code. Not 인증서 (an electronic "
            "signature's certificate).",
        ),
        Term(
            english=("extract of the register",),
            term="등기사항증명서",
            source=f"{REGISTRATION_ACT} 제19조",
            note="What the registry office issues of a lot's 등기기록 (formerly 등기부등본).",
        ),
        Term(
            english=("certificate of title",),
            term="등기필정보",
            accepted=("등기권리증",),
            source=f"{REGISTRATION_ACT} 제2조 제4호, 제50조",
            note="Korea gives no title deed like the Vietnamese certificate: the new holder "
            "receives the 등기필정보 (before 2006 the paper 등기권리증); the lot is "
            "described by the 토지대장.",
        ),
        Term(
            english=("certificate no.",),
            term="접수번호",
            source=f"{REGISTRATION_ACT} 제48조 제1항 제3호",
            avoid=("증서 번호",),
            note="A right is known in the 등기기록 by its 접수연월일 and 접수번호 "
            "(2008-012345), which the register keeps as the right's certificate number.",
        ),
        Term(
            english=("administrative unit",),
            term="행정구역",
            source=f"{LOCAL_AUTONOMY_ACT} 제2조, 제3조",
        ),
        Term(
            english=("province",),
            term="시·도",
            source=f"{LOCAL_AUTONOMY_ACT} 제2조 제1항 제1호",
            note="특별시, 광역시, 특별자치시, 도, 특별자치도. Printed largest first, without "
            "commas: 서울특별시 종로구 청운효자동.",
        ),
        Term(
            english=("district",),
            term="시·군·구",
            source=f"{LOCAL_AUTONOMY_ACT} 제2조 제1항 제2호, 제3조 제3항",
        ),
        Term(
            english=("commune",),
            term="읍·면·동",
            source=f"{LOCAL_AUTONOMY_ACT} 제3조 제3항",
            note="The lots are numbered within the 법정동·리 (지번부여지역, "
            f"{SURVEY_ACT} 제2조 제23호).",
        ),
        Term(
            english=("village",),
            term="리",
            source=f"{LOCAL_AUTONOMY_ACT} 제3조 제3항",
        ),
        Term(
            english=("zoning",),
            term="용도지역",
            source=f"{PLANNING_ACT} 제2조 제15호, 제36조",
        ),
        Term(
            english=("land-use plan",),
            term="도시·군관리계획",
            accepted=("도시관리계획",),
            source=f"{PLANNING_ACT} 제2조 제4호",
        ),
        Term(
            english=("official land price", "official price"),
            term="개별공시지가",
            accepted=("공시지가",),
            source=f"{PRICE_ACT} 제10조",
            note="In 원/㎡, as of 1 January of its year.",
        ),
        # Who holds what.
        Term(
            english=("holder",),
            term="권리자",
            accepted=("소유자", "공유자", "근저당권자", "명의인"),
            source=f"{REGISTRATION_ACT} 제48조 제1항 제5호; {SURVEY_ACT} 제71조 (소유자)",
            note="소유자 for the holders of ownership, 근저당권자 for a lender, 권리자 where "
            "any right is meant.",
        ),
        Term(
            english=("natural person",),
            term="개인",
            source=f"{REGISTRATION_ACT} 제48조 제2항 (주민등록번호)",
        ),
        Term(
            english=("organisation",),
            term="법인",
            accepted=("단체",),
            source=f"{CIVIL_CODE} 제31조, 제34조; {REGISTRATION_ACT} 제49조",
            note="법인·단체 where an unincorporated body (종중) may be meant too.",
        ),
        Term(
            english=("the State",),
            term="국가",
            source=f"{REGISTRATION_ACT} 제49조 제1항 제1호",
        ),
        Term(
            english=("local government",),
            term="지방자치단체",
            source=f"{LOCAL_AUTONOMY_ACT} 제2조; {REGISTRATION_ACT} 제49조 제1항 제1호",
        ),
        Term(
            english=("unincorporated association", "clan"),
            term="종중·비법인사단",
            accepted=("종중", "법인 아닌 사단"),
            source=f"{REGISTRATION_ACT} 제26조; {CIVIL_CODE} 제275조",
        ),
        Term(
            english=("foreigner", "foreign national"),
            term="외국인",
            source=f"{REGISTRATION_ACT} 제49조 제1항 제4호; 부동산 거래신고 등에 관한 법률",
        ),
        Term(
            english=("national id",),
            term="주민등록번호",
            accepted=("등록번호",),
            source=f"{REGISTRATION_ACT} 제48조 제2항",
        ),
        Term(
            english=("registration number",),
            term="등록번호",
            source=f"{REGISTRATION_ACT} 제48조 제2항, 제49조 (부동산등기용등록번호)",
            note="법인등록번호 for a company; 부동산등기용등록번호 for the State, an "
            "unincorporated body or a foreigner.",
        ),
        Term(
            english=("ownership", "land-use right"),
            term="소유권",
            accepted=("소유자",),
            source=f"{CIVIL_CODE} 제211조; {REGISTRATION_ACT} 제3조",
            avoid=("토지사용권",),
            note="Korea has no land-use right apart from ownership of the land.",
        ),
        Term(
            english=("share",),
            term="지분",
            source=f"{CIVIL_CODE} 제262조; {REGISTRATION_ACT} 제48조 제4항, 제67조",
        ),
        Term(
            english=("co-ownership", "co-owner", "form of use"),
            term="공유",
            accepted=("공유자", "단독소유"),
            source=f"{CIVIL_CODE} 제262조, 제271조 (합유), 제275조 (총유)",
        ),
        Term(
            english=("mortgage",),
            term="근저당권",
            accepted=("저당권",),
            source=f"{CIVIL_CODE} 제356조, 제357조; {REGISTRATION_ACT} 제75조",
            note="A lender's security is registered as 근저당권 (채권최고액), the form every "
            "bank uses.",
        ),
        Term(
            english=("lender",),
            term="근저당권자",
            accepted=("저당권자",),
            source=f"{CIVIL_CODE} 제357조; {REGISTRATION_ACT} 제75조 제2항",
            avoid=("대출 기관",),
        ),
        Term(
            english=("amount secured",),
            term="채권최고액",
            source=f"{CIVIL_CODE} 제357조 제1항; {REGISTRATION_ACT} 제75조 제2항",
        ),
        Term(
            english=("lease",),
            term="임차권",
            source=f"{CIVIL_CODE} 제618조, 제621조; {REGISTRATION_ACT} 제74조",
        ),
        Term(
            english=("easement",),
            term="지역권",
            source=f"{CIVIL_CODE} 제291조; {REGISTRATION_ACT} 제70조",
        ),
        Term(
            english=("attached assets", "assets attached"),
            term="정착물",
            accepted=("건물",),
            source=f"{CIVIL_CODE} 제99조 제1항",
            note="A building is real estate of its own, with its own 건축물대장 and 등기기록.",
        ),
        Term(
            english=("term of use",),
            term="존속기간",
            source=f"{REGISTRATION_ACT} 제69조, 제72조, 제74조",
            note="Ownership has no term; 지상권, 전세권 and 임차권 have one.",
        ),
        # The acts of the register.
        Term(
            english=("first registration",),
            term="소유권보존",
            accepted=("소유권 보존",),
            source=f"{REGISTRATION_ACT} 제65조",
            avoid=("최초 등록", "신규 등록"),
            note="신규등록 (공간정보관리법 제77조) enters new land in the cadastre; the first "
            "registration of its owner is the 소유권보존등기.",
        ),
        Term(
            english=("transfer",),
            term="소유권이전",
            accepted=("이전", "양도", "양수"),
            source=f"{CIVIL_CODE} 제186조; {REGISTRATION_ACT} 제23조, 제67조",
            note="양도인/양수인 for the parties; a part of the ownership passes as a 지분.",
        ),
        Term(
            english=("sale",),
            term="매매",
            source=f"{CIVIL_CODE} 제563조",
        ),
        Term(
            english=("gift",),
            term="증여",
            source=f"{CIVIL_CODE} 제554조",
        ),
        Term(
            english=("inheritance",),
            term="상속",
            source=f"{CIVIL_CODE} 제187조, 제997조",
        ),
        Term(
            english=("mortgage discharge", "discharge"),
            term="근저당권말소",
            accepted=("말소",),
            source=f"{CIVIL_CODE} 제369조; {REGISTRATION_ACT} 제57조",
        ),
        Term(
            english=("subdivision", "subdivide"),
            term="분할",
            source=f"{SURVEY_ACT} 제2조 제31호, 제79조; {REGISTRATION_ACT} 제35조",
            note="The cadastre's word; the 등기기록 records the same act as 분필.",
        ),
        Term(
            english=("merge",),
            term="합병",
            source=f"{SURVEY_ACT} 제2조 제32호, 제80조; {REGISTRATION_ACT} 제37조",
            note="The cadastre's word; the 등기기록 records the same act as 합필, refused where "
            "the lots carry different rights (부동산등기법 제37조, 합필 제한).",
        ),
        Term(
            english=("correction",),
            term="경정",
            accepted=("정정",),
            source=f"{REGISTRATION_ACT} 제32조; {SURVEY_ACT} 제84조 (등록사항의 정정)",
        ),
        Term(
            english=("kind of deed",),
            term="등기목적",
            source=f"{REGISTRATION_ACT} 제48조 제1항 제2호",
            note="소유권보존, 소유권이전, 근저당권설정 ...; what caused it (매매, 증여) is the "
            "등기원인.",
        ),
        Term(
            english=("cause", "origin of use"),
            term="등기원인",
            source=f"{REGISTRATION_ACT} 제48조 제1항 제4호",
        ),
        Term(
            english=("effective date",),
            term="효력 발생일",
            source=f"{CIVIL_CODE} 제186조, 제187조; {REGISTRATION_ACT} 제6조 제2항",
            note="A registration takes effect from its 접수; an inheritance from the death.",
        ),
        Term(
            english=("registration date", "date of registration"),
            term="등기일",
            accepted=("접수일", "접수연월일"),
            source=f"{REGISTRATION_ACT} 제6조 제2항, 제48조 제1항 제3호",
            note="A registration is dated by its 접수연월일: it takes effect from the receipt "
            "of its application, whenever the registrar completes it.",
        ),
        # The application and the people who handle it.
        Term(
            english=("application",),
            term="신청",
            source=f"{REGISTRATION_ACT} 제22조, 제24조",
        ),
        Term(
            english=("receipt",),
            term="접수",
            source=f"{REGISTRATION_ACT} 제6조, 제48조 제1항 제3호",
            note="접수번호 and 접수일시; the paper given to the applicant is the 접수증.",
        ),
        Term(
            english=("refuse", "refusal"),
            term="각하",
            source=f"{REGISTRATION_ACT} 제29조",
        ),
        Term(
            english=("withdraw",),
            term="취하",
            source=f"{REGISTRATION_RULES} 제51조",
        ),
        Term(
            english=("documents filed", "documents the office asks for"),
            term="첨부정보",
            accepted=("첨부서면", "첨부 서면"),
            source=f"{REGISTRATION_RULES} 제46조",
        ),
        Term(
            english=("notarisation", "notarised"),
            term="검인",
            accepted=("공증",),
            source="부동산등기 특별조치법 제3조; 부동산 거래신고 등에 관한 법률 제3조",
            note="A Korean contract of sale is not notarised: it bears the 검인 of the "
            "시장·군수·구청장, or its 거래신고필증; 공증 only where the parties chose it.",
        ),
        Term(
            english=("notary",),
            term="법무사",
            source="법무사법 제2조",
            avoid=("공증인",),
            note="The profession that drafts and files registrations for the parties; a "
            "공증인 (공증인법) notarises documents, which registration does not need.",
        ),
        Term(
            english=("registrar",),
            term="등기관",
            source=f"{REGISTRATION_ACT} 제11조",
        ),
        Term(
            english=("registry office", "land registry office", "land registration office"),
            term="등기소",
            source=f"{REGISTRATION_ACT} 제7조",
        ),
        # The books.
        Term(
            english=("land register",),
            term="등기부",
            accepted=("부동산종합공부", "지적공부", "공부"),
            source=f"{REGISTRATION_ACT} 제2조 제1호",
            avoid=("토지 등록부",),
            note="등기부 for the register of rights; 지적공부 for the cadastre; the register "
            "as an institution speaks as 등기소.",
        ),
        Term(
            english=("journal",),
            term="등기기록",
            accepted=("등기부",),
            source=f"{REGISTRATION_ACT} 제2조 제3호, 제15조",
            avoid=("기록 #", "기입 #", "기록부 항목 #"),
            note="The record of every registration, in order; an entry is cited by its "
            "일련번호 (일련번호 제7417호), never as a bare '#'.",
        ),
    ),
)
