"""The Korean land law's words (공간정보관리법, 부동산등기법, 민법)."""

from landinfo.profiles.glossary import Glossary, Term

SURVEY_ACT = "공간정보의 구축 및 관리 등에 관한 법률"
REGISTRATION_ACT = "부동산등기법"

GLOSSARY = Glossary(
    language="ko",
    title="용어집 — 대한민국 지적·등기 (profile kr)",
    terms=(
        Term(
            english=("parcel",),
            term="필지",
            accepted=("토지",),
            source=f"{SURVEY_ACT} 제2조 제21호",
        ),
        Term(
            english=("first registration",),
            term="소유권보존",
            source=f"{REGISTRATION_ACT} 제65조",
            avoid=("최초 등록", "신규 등록"),
        ),
        Term(
            english=("subdivision", "subdivide"),
            term="분할",
            source=f"{SURVEY_ACT} 제79조",
        ),
        Term(
            english=("merge",),
            term="합병",
            source=f"{SURVEY_ACT} 제80조",
        ),
        Term(
            english=("mortgage",),
            term="저당권",
            accepted=("근저당",),
            source="민법 제356조, 제357조",
        ),
    ),
)
