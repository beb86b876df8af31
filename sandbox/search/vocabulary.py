"""The search vocabulary: roles, seniority, industries, topics and locations, with synonyms.

A *concept* is one thing a person can be or talk about ("role:cto", "topic:fundraising",
"location:california"). Each has the phrases that name it; the matcher turns token runs into
concept ids, so "chief technology officer", "CTO" and "CTOs" all become ``role:cto`` in
documents and in descriptions alike, and BM25 ranks on those ids next to the plain words.

Documents are also tagged with what a concept *implies* (San Francisco is in California, a CMO
works in marketing at C-level); descriptions are not, so "San Francisco" stays narrower than
"California". A few *composite* concepts are derived when a document holds all their parts
("cloud" + "migration" anywhere in a post is a cloud migration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from sandbox.search.text import tokenize

__all__ = ["Concept", "Kind", "Match", "Vocabulary", "vocabulary"]


class Kind(StrEnum):
    """What a concept describes; it decides which field of a post the concept is looked up in."""

    ROLE = "role"
    SENIORITY = "seniority"
    INDUSTRY = "industry"
    TOPIC = "topic"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class Concept:
    """One searchable idea and the phrases that name it."""

    id: str
    """``"<kind>:<name>"``; also the token the index stores for it."""
    phrases: tuple[str, ...]
    """Synonyms, written naturally; they go through the same tokenizer as the text."""
    implies: tuple[str, ...] = ()
    """Broader concepts a document mentioning this one is also about."""
    as_topic: str | None = None
    """For a role named in the *topic* part of a description ("founders discussing hiring a CTO"):
    the topic concept to search the post text for besides the role's own words."""

    @property
    def kind(self) -> Kind:
        """The concept's kind, from its id."""
        return Kind(self.id.partition(":")[0])


@dataclass(frozen=True, slots=True)
class Match:
    """A phrase found in a token list: ``tokens[start:end]`` names ``concepts``."""

    start: int
    end: int
    concepts: tuple[str, ...]


def _c(
    cid: str, *phrases: str, implies: Sequence[str] = (), as_topic: str | None = None
) -> Concept:
    return Concept(cid, tuple(phrases), tuple(implies), as_topic)


_C_LEVEL = "seniority:c_level"

_ROLES = (
    _c(
        "role:engineering",
        "engineer",
        "engineering",
        "software engineer",
        "developer",
        "software developer",
        "programmer",
        "swe",
        "full stack",
        "fullstack",
        "backend",
        "front end",
        "frontend",
        "mobile developer",
        "ios developer",
        "android developer",
        "tech lead",
        as_topic="topic:engineering",
    ),
    _c(
        "role:cto",
        "cto",
        "chief technology officer",
        "chief technical officer",
        implies=("role:engineering", _C_LEVEL),
    ),
    _c(
        "role:devops",
        "devops engineer",
        "site reliability engineer",
        "sre",
        "platform engineer",
        "infrastructure engineer",
        "cloud engineer",
        "cloud architect",
        "platform",
        "infrastructure",
        implies=("role:engineering",),
        as_topic="topic:devops",
    ),
    _c(
        "role:data",
        "data scientist",
        "data engineer",
        "data analyst",
        "analytics engineer",
        "ml engineer",
        "machine learning engineer",
        "data",
        "analyst",
        "data science",
        as_topic="topic:data",
    ),
    _c(
        "role:security",
        "security engineer",
        "security analyst",
        "security architect",
        "security researcher",
        "soc analyst",
        "appsec",
        "application security",
        "ciso",
        "chief information security officer",
        "security",
        as_topic="topic:security",
    ),
    _c(
        "role:product",
        "product",
        "product manager",
        "product management",
        "product owner",
        "pm",
        "gpm",
        "cpo",
        "chief product officer",
        as_topic="topic:product_launch",
    ),
    _c(
        "role:design",
        "designer",
        "product designer",
        "ux designer",
        "ui designer",
        "ux",
        "ux researcher",
        "design",
        as_topic="topic:design",
    ),
    _c(
        "role:marketing",
        "growth",
        "marketing",
        "marketer",
        "cmo",
        "chief marketing officer",
        "growth marketer",
        "growth marketing",
        "demand gen",
        "demand generation",
        "product marketing",
        "brand manager",
        as_topic="topic:marketing",
    ),
    _c(
        "role:sales",
        "sales",
        "salesperson",
        "account executive",
        "ae",
        "sdr",
        "bdr",
        "sales development",
        "business development",
        "account manager",
        "cro",
        "chief revenue officer",
        "revenue",
        as_topic="topic:sales_pipeline",
    ),
    _c(
        "role:customer_success",
        "customer success",
        "csm",
        "customer support",
        "support",
        as_topic="topic:customer_experience",
    ),
    _c(
        "role:founder",
        "founder",
        "co founder",
        "cofounder",
        "solo founder",
        "founding ceo",
        "entrepreneur",
        "startup founder",
        implies=("seniority:leadership",),
        as_topic="topic:startup_life",
    ),
    _c("role:ceo", "ceo", "chief executive officer", "chief executive", implies=(_C_LEVEL,)),
    _c(
        "role:operations",
        "operations",
        "ops",
        "coo",
        "chief operating officer",
        "bizops",
        "supply chain manager",
        "logistics coordinator",
        as_topic="topic:operations",
    ),
    _c(
        "role:finance",
        "finance",
        "financial analyst",
        "controller",
        "accountant",
        "fp a",
        "cfo",
        "chief financial officer",
        as_topic="topic:finance_ops",
    ),
    _c(
        "role:hr",
        "hr",
        "human resource",
        "hr business partner",
        "hrbp",
        "hr generalist",
        "people ops",
        "people operation",
        "people team",
        "people partner",
        "people culture",
        "head of people",
        "vp people",
        "vp of people",
        "director of people",
        "chief people officer",
        "chro",
        "chief human resources officer",
        "people leader",
        as_topic="topic:employee_engagement",
    ),
    _c(
        "role:recruiter",
        "recruiting",
        "recruiter",
        "technical recruiter",
        "talent acquisition",
        "sourcer",
        "head of talent",
        "talent partner",
        "headhunter",
        "talent",
        as_topic="topic:hiring",
    ),
    _c(
        "role:investor",
        "ventures",
        "investor",
        "vc",
        "venture capitalist",
        "angel investor",
        "angel",
        "venture capital",
        "early stage investing",
        "general partner",
        "venture partner",
        "managing partner",
        "limited partner",
        implies=("topic:fundraising",),
        as_topic="topic:fundraising",
    ),
    _c(
        "role:realtor",
        "realtor",
        "real estate agent",
        "real estate broker",
        "broker associate",
        "listing agent",
        "buyer agent",
        "listing specialist",
        "real estate professional",
        "real estate salesperson",
        "broker",
        implies=("industry:real_estate",),
        as_topic="topic:housing_market",
    ),
    _c(
        "role:nurse",
        "nursing",
        "nurse",
        "rn",
        "registered nurse",
        "nurse practitioner",
        "lpn",
        "charge nurse",
        "travel nurse",
        "icu nurse",
        "er nurse",
        "bsn",
        implies=("industry:healthcare",),
        as_topic="topic:patient_care",
    ),
    _c(
        "role:physician",
        "chief medical officer",
        "physician",
        "doctor",
        "surgeon",
        "pediatrician",
        "cardiologist",
        "hospitalist",
        "medical director",
        implies=("industry:healthcare",),
        as_topic="topic:patient_care",
    ),
    _c(
        "role:educator",
        "teacher",
        "educator",
        "professor",
        "lecturer",
        "instructional designer",
        implies=("industry:education",),
    ),
    _c(
        "role:lawyer",
        "lawyer",
        "attorney",
        "general counsel",
        "counsel",
        "paralegal",
        "legal counsel",
    ),
    _c(
        "role:consultant", "consultant", "advisor", "adviser", "fractional", "management consultant"
    ),
    _c(
        "role:creator",
        "content creator",
        "creator",
        "copywriter",
        "ghostwriter",
        "writer",
        "influencer",
    ),
)

_SENIORITY = (
    _c("seniority:intern", "intern", "internship"),
    _c(
        "seniority:junior",
        "junior",
        "jr",
        "associate",
        "coordinator",
        "entry level",
        "assistant",
        "graduate",
    ),
    _c("seniority:senior", "senior", "sr", "staff", "principal"),
    _c("seniority:lead", "lead", "team lead", "tech lead", implies=("seniority:leadership",)),
    _c("seniority:manager", "manager", "mgr", "managing"),
    _c(
        "seniority:director",
        "director",
        "head of",
        "head",
        "head of people",
        "head of talent",
        "director of people",
        "medical director",
        implies=("seniority:leadership",),
    ),
    _c(
        "seniority:vp",
        "vp",
        "vice president",
        "svp",
        "evp",
        "avp",
        "vp people",
        "vp of people",
        implies=("seniority:leadership",),
    ),
    # "Security leaders" are the heads, directors, VPs and chiefs of security.
    _c("seniority:leadership", "leader", "senior leader", "decision maker", "leadership team"),
    # The C-level titles that the role table names as whole phrases carry the level too.
    _c(
        _C_LEVEL,
        "chief medical officer",
        "chief",
        "c level",
        "c suite",
        "cxo",
        "executive",
        "exec",
        "cmo",
        "cfo",
        "coo",
        "cpo",
        "ciso",
        "chro",
        "cro",
        "chief marketing officer",
        "chief financial officer",
        "chief operating officer",
        "chief product officer",
        "chief revenue officer",
        "chief people officer",
        "chief human resources officer",
        "chief information security officer",
        implies=("seniority:leadership",),
    ),
)

_INDUSTRIES = (
    _c("industry:tech", "tech", "technology", "tech industry", "tech company", "tech startup"),
    _c(
        "industry:saas",
        "saas",
        "software as a service",
        "b2b software",
        "b2b saas",
        "enterprise software",
        "cloud software",
        "subscription software",
        implies=("industry:tech",),
    ),
    _c(
        "industry:fintech",
        "payment",
        "embedded finance",
        "fintech",
        "financial technology",
        "neobank",
        "payment company",
        "payments startup",
        "banking tech",
        implies=("industry:tech", "industry:financial_services"),
    ),
    _c(
        "industry:financial_services",
        "financial services",
        "banking",
        "bank",
        "wealth management",
        "asset management",
        "investment bank",
        "credit union",
    ),
    _c("industry:insurance", "insurance", "insurtech", "insurer"),
    _c(
        "industry:healthcare",
        "healthcare",
        "health care",
        "hospital",
        "clinic",
        "health system",
        "medical center",
        "medical",
        "healthtech",
        "health tech",
        "digital health",
    ),
    _c("industry:biotech", "biotech", "pharma", "pharmaceutical", "life science"),
    _c(
        "industry:ecommerce",
        "e commerce",
        "ecommerce",
        "online retail",
        "dtc",
        "d2c",
        "direct to consumer",
        "online store",
        "shopify store",
        "marketplace",
        implies=("industry:retail",),
    ),
    _c("industry:retail", "retail", "retailer", "consumer brand", "cpg"),
    _c(
        "industry:cybersecurity",
        "cybersecurity",
        "cyber security",
        "infosec",
        "cyber",
        "security company",
        implies=("industry:tech",),
    ),
    _c(
        "industry:real_estate",
        "luxury home",
        "luxury real estate",
        "real estate",
        "realty",
        "brokerage",
        "proptech",
        "property",
        "properties",
        "residential real estate",
        "commercial real estate",
    ),
    _c(
        "industry:education",
        "education",
        "edtech",
        "school",
        "university",
        "k 12",
        "higher ed",
        "higher education",
        "e learning",
    ),
    _c("industry:ai", "ai startup", "ai company", "ai lab", "ai first", implies=("industry:tech",)),
    _c(
        "industry:devtools",
        "open source",
        "devtools",
        "developer tools",
        "developer platform",
        "open source company",
        implies=("industry:tech",),
    ),
    _c("industry:manufacturing", "manufacturing", "industrial", "factory", "factories"),
    _c(
        "industry:logistics",
        "supply chain",
        "logistics",
        "freight",
        "trucking",
        "3pl",
        "shipping company",
    ),
    _c("industry:media", "media", "publishing", "publisher", "entertainment", "newsroom"),
    _c("industry:gaming", "gaming", "game studio", "video game", "games studio", "esports"),
    _c(
        "industry:climate",
        "climate tech",
        "climatetech",
        "cleantech",
        "clean energy",
        "renewable energy",
        "renewables",
        "solar",
        "energy",
    ),
    _c(
        "industry:agency",
        "marketing agency",
        "digital agency",
        "creative agency",
        "agency",
        "ad agency",
    ),
    _c("industry:consulting", "consulting", "consultancy", "consulting firm"),
    _c("industry:nonprofit", "nonprofit", "non profit", "ngo", "charity", "foundation"),
    _c("industry:government", "government", "public sector", "govtech", "federal", "municipal"),
    _c("industry:legal", "law firm", "legal", "legaltech"),
    _c("industry:hospitality", "hospitality", "hotel", "restaurant", "travel"),
    _c(
        "industry:startup",
        "startup",
        "start up",
        "early stage",
        "seed stage",
        "stealth",
        "stealth startup",
        "y combinator",
        "yc",
        "venture backed",
    ),
)

_TOPICS = (
    _c(
        "topic:ai",
        "ai",
        "a i",
        "foundation model",
        "ai startup",
        "ai company",
        "ai first",
        "artificial intelligence",
        "genai",
        "gen ai",
        "generative ai",
        "llm",
        "large language model",
        "chatgpt",
        "gpt",
        "copilot",
        "ai tool",
        "ai agent",
        "ai assistant",
        "agentic",
        "machine learning",
        "ml",
        "prompt",
        "prompting",
        "prompt engineering",
        "ai powered",
        "ai native",
        implies=("industry:ai",),
    ),
    _c(
        "topic:fundraising",
        "fundraising",
        "fundraise",
        "fund raising",
        "raising capital",
        "raise capital",
        "raising money",
        "raise money",
        "raising a seed",
        "raising our seed",
        "raising our series",
        "raising a pre seed",
        "just raised",
        "we raised",
        "we ve raised",
        "closed our seed",
        "closed our series",
        "seed round",
        "seed",
        "pre seed",
        "series a",
        "series b",
        "series c",
        "term sheet",
        "venture capital",
        "pitch deck",
        "cap table",
        "valuation",
        "lead investor",
        "bridge round",
        "angel round",
        "runway",
        "raised our",
        "raising our",
        "raise our",
        "investor update",
        "investor meeting",
        "investor pitch",
    ),
    _c(
        "topic:employee_engagement",
        "employee engagement",
        "engagement survey",
        "pulse survey",
        "employee experience",
        "engagement platform",
        "engagement score",
        "engagement tool",
        "employee recognition",
        "recognition program",
        "employee morale",
        "morale",
        "enps",
        "employee net promoter",
        "employee feedback",
        "stay interview",
    ),
    _c(
        "topic:crm",
        "crm",
        "customer relationship management",
        "salesforce",
        "hubspot",
        "follow up boss",
        "contact management",
        "lead management",
        "lead tracking",
        "pipeline management",
        "sphere of influence database",
        "drip campaign",
    ),
    _c(
        "topic:cloud",
        "cloud",
        "aws",
        "amazon web service",
        "azure",
        "gcp",
        "google cloud",
        "cloud native",
        "serverless",
        "multi cloud",
        "hybrid cloud",
        "ec2",
        "s3",
        "eks",
        "lambda",
    ),
    _c(
        "topic:migration",
        "migration",
        "migrating",
        "migrate",
        "migrated",
        "lift and shift",
        "replatform",
        "replatforming",
        "re platforming",
        "moving off",
        "moved off",
        "data center exit",
        "decommission",
        "decommissioned",
        "cutover",
        "cut over",
    ),
    _c(
        "topic:cloud_migration",
        "cloud migration",
        "cloud move",
        "move to the cloud",
        "moving to the cloud",
        "moved to the cloud",
        "migrate to the cloud",
        "migrating to the cloud",
        "cloud transformation",
        "on prem to cloud",
        implies=("topic:cloud", "topic:migration"),
    ),
    _c(
        "topic:devops",
        "devops",
        "kubernetes",
        "k8s",
        "terraform",
        "ci cd",
        "cicd",
        "continuous integration",
        "continuous delivery",
        "infrastructure as code",
        "observability",
        "on call",
        "incident",
        "postmortem",
        "docker",
        "platform engineering",
        "deploy",
        "deployment",
    ),
    _c(
        "topic:security",
        "ransomware",
        "phishing",
        "zero trust",
        "soc 2",
        "soc2",
        "vulnerability",
        "vulnerabilities",
        "breach",
        "pen test",
        "pentest",
        "penetration test",
        "threat",
        "threat model",
        "cyberattack",
        "cyber attack",
        "mfa",
        "cve",
        "zero day",
    ),
    _c(
        "topic:hiring",
        "hiring",
        "we re hiring",
        "hire",
        "hired",
        "recruiting",
        "recruitment",
        "job opening",
        "open role",
        "open position",
        "interview",
        "interviewing",
        "candidate",
        "job offer",
        "headcount",
    ),
    _c(
        "topic:remote_work",
        "remote work",
        "remote",
        "hybrid work",
        "return to office",
        "rto",
        "wfh",
        "work from home",
        "distributed team",
        "async work",
        "in office",
    ),
    _c(
        "topic:burnout",
        "burnout",
        "burned out",
        "burnt out",
        "burning out",
        "exhaustion",
        "exhausted",
        "mental health",
        "wellbeing",
        "well being",
        "understaffed",
        "short staffed",
        "compassion fatigue",
        "fatigue",
        "self care",
        "overworked",
        "moral injury",
    ),
    _c(
        "topic:leadership",
        "leadership",
        "leading a team",
        "one on one",
        "1 1",
        "mentorship",
        "mentor",
        "mentoring",
        "coaching",
        "management style",
        "first time manager",
    ),
    _c(
        "topic:product_launch",
        "product launch",
        "launch",
        "launched",
        "launching",
        "shipped",
        "release",
        "released",
        "beta",
        "product hunt",
        "roadmap",
        "new feature",
    ),
    _c(
        "topic:pricing",
        "pricing",
        "price increase",
        "monetization",
        "freemium",
        "usage based",
        "per seat",
        "discount",
        "pricing page",
    ),
    _c(
        "topic:churn",
        "churn",
        "customer retention",
        "net revenue retention",
        "nrr",
        "renewal",
        "renewals",
        "expansion revenue",
        "logo retention",
    ),
    _c(
        "topic:seo_content",
        "seo",
        "content marketing",
        "content strategy",
        "blog",
        "blog post",
        "organic traffic",
        "backlink",
        "keyword research",
        "search ranking",
        "thought leadership",
        implies=("role:marketing",),
    ),
    _c(
        "topic:email_marketing",
        "email marketing",
        "email automation",
        "marketing automation",
        "newsletter",
        "drip campaign",
        "open rate",
        "click rate",
        "email sequence",
        "nurture",
        "lifecycle marketing",
        implies=("role:marketing",),
    ),
    _c(
        "topic:sales_pipeline",
        "outbound",
        "cold email",
        "cold call",
        "cold calling",
        "prospecting",
        "pipeline",
        "quota",
        "lead generation",
        "lead gen",
        "closed won",
        "deal",
        "deals",
        "discovery call",
        "demo",
        "sales cycle",
        "social selling",
    ),
    _c(
        "topic:paid_ads",
        "paid ads",
        "ppc",
        "facebook ads",
        "meta ads",
        "google ads",
        "roas",
        "cac",
        "paid social",
        "ad spend",
        "performance marketing",
        implies=("role:marketing",),
    ),
    _c(
        "topic:brand",
        "brand",
        "branding",
        "rebrand",
        "positioning",
        "storytelling",
        "brand awareness",
    ),
    _c(
        "topic:social_media",
        "social media",
        "instagram",
        "tiktok",
        "short video",
        "reels",
        "content calendar",
        implies=("role:marketing",),
    ),
    _c("topic:marketing", "campaign", "go to market", "gtm", "messaging"),
    _c(
        "topic:data",
        "analytics",
        "dashboard",
        "data pipeline",
        "data warehouse",
        "dbt",
        "snowflake",
        "sql",
        "data quality",
        "metric",
        "data team",
        "data stack",
        "business intelligence",
    ),
    _c(
        "topic:engineering",
        "code review",
        "tech debt",
        "technical debt",
        "refactor",
        "refactoring",
        "architecture",
        "microservice",
        "monolith",
        "engineering team",
        "coding",
    ),
    _c(
        "topic:payments",
        "payment",
        "checkout",
        "stripe",
        "card issuing",
        "interchange",
        "real time payments",
        "fraud",
        "chargeback",
        "ledger",
    ),
    _c(
        "topic:compliance",
        "compliance",
        "regulation",
        "regulatory",
        "regulator",
        "kyc",
        "aml",
        "gdpr",
        "hipaa",
        "audit",
        "sox",
        "eu ai act",
    ),
    _c(
        "topic:supply_chain",
        "supply chain",
        "inventory",
        "warehouse",
        "fulfillment",
        "procurement",
        "supplier",
        "vendor management",
    ),
    _c(
        "topic:ecommerce_growth",
        "conversion rate",
        "cart abandonment",
        "abandoned cart",
        "average order value",
        "aov",
        "product page",
        "shopify",
        "black friday",
        "cyber monday",
    ),
    _c(
        "topic:patient_care",
        "patient",
        "patient care",
        "bedside",
        "nursing",
        "icu",
        "emergency department",
        "charting",
        "staffing ratio",
        "nurse to patient ratio",
        "shift",
        "discharge",
        "clinical",
    ),
    _c(
        "topic:housing_market",
        "housing market",
        "mortgage rate",
        "mortgage",
        "interest rate",
        "listing",
        "just listed",
        "open house",
        "home buyer",
        "homebuyer",
        "first time buyer",
        "seller",
        "closing day",
        "escrow",
        "inventory",
        "home price",
        "under contract",
    ),
    _c(
        "topic:dei",
        "diversity",
        "inclusion",
        "dei",
        "belonging",
        "erg",
        "employee resource group",
        "pay equity",
    ),
    _c(
        "topic:performance_reviews",
        "performance review",
        "performance management",
        "review cycle",
        "calibration",
        "okr",
        "goal setting",
        "feedback culture",
        "360 feedback",
    ),
    _c("topic:onboarding", "onboarding", "new hire", "first 90 day", "first week", "orientation"),
    _c(
        "topic:layoffs",
        "layoff",
        "laid off",
        "rif",
        "reduction in force",
        "job cut",
        "restructuring",
        "downsizing",
        "open to work",
    ),
    _c(
        "topic:career",
        "career",
        "job search",
        "promotion",
        "career advice",
        "resume",
        "career change",
        "new role",
        "new position",
        "personal brand",
    ),
    _c(
        "topic:productivity",
        "productivity",
        "deep work",
        "focus time",
        "meeting",
        "calendar",
        "time management",
        "async",
        "notion",
        "workflow",
    ),
    _c(
        "topic:open_source",
        "open source",
        "oss",
        "github",
        "pull request",
        "maintainer",
        "contributor",
    ),
    _c(
        "topic:events",
        "conference",
        "webinar",
        "meetup",
        "summit",
        "panel",
        "keynote",
        "booth",
        "event",
    ),
    _c(
        "topic:customer_experience",
        "customer experience",
        "cx",
        "support ticket",
        "nps",
        "customer support",
        "customer feedback",
        "help desk",
        "customer satisfaction",
        "csat",
    ),
    _c(
        "topic:design",
        "user experience",
        "usability",
        "figma",
        "design system",
        "user research",
        "prototype",
        "wireframe",
        "accessibility",
    ),
    _c(
        "topic:finance_ops",
        "budget",
        "budgeting",
        "forecast",
        "forecasting",
        "month end close",
        "spend management",
        "cash flow",
        "burn rate",
        "unit economics",
        "gross margin",
    ),
    _c(
        "topic:operations",
        "process improvement",
        "scaling operations",
        "sop",
        "vendor",
        "efficiency",
    ),
    _c(
        "topic:startup_life",
        "founder life",
        "building in public",
        "product market fit",
        "pmf",
        "bootstrapped",
        "bootstrapping",
        "mvp",
        "founder mode",
    ),
    _c("topic:education", "student", "classroom", "curriculum", "lesson plan"),
)

# Locations: a city implies its state (or country) and the state implies the country.
_US = "location:usa"


def _state(name: str, *phrases: str, cities: Sequence[tuple[str, ...]] = ()) -> list[Concept]:
    state = f"location:{name}"
    out = [_c(state, *phrases, implies=(_US,))]
    for city in cities:
        city_id = "_".join(tokenize(city[0]))
        out.append(_c(f"location:{city_id}", *city, implies=(state, _US)))
    return out


def _country(name: str, *phrases: str, region: str, cities: Sequence[str] = ()) -> list[Concept]:
    country = f"location:{name}"
    out = [_c(country, *phrases, implies=(region,))]
    for city in cities:
        out.append(_c(f"location:{'_'.join(tokenize(city))}", city, implies=(country, region)))
    return out


_LOCATIONS = (
    _c("location:north_america", "north america"),
    _c(
        _US,
        "usa",
        "united states",
        "america",
        "us based",
        "u s a",
        "stateside",
        implies=("location:north_america",),
    ),
    _c("location:europe", "europe", "eu", "emea", "european"),
    _c("location:asia_pacific", "apac", "asia", "asia pacific"),
    _c("location:latam", "latam", "latin america", "south america"),
    _c("location:middle_east_africa", "middle east", "africa", "mena"),
    *_state(
        "california",
        "california",
        "ca",
        "bay area",
        "silicon valley",
        "socal",
        "norcal",
        "southern california",
        "northern california",
        cities=(
            ("san francisco", "sf"),
            ("los angeles", "l a"),
            ("san diego",),
            ("san jose",),
            ("oakland",),
            ("palo alto",),
            ("sacramento",),
            ("irvine",),
            ("santa monica",),
            ("mountain view",),
            ("fresno",),
            ("pasadena",),
        ),
    ),
    *_state(
        "texas",
        "texas",
        "tx",
        cities=(
            ("austin",),
            ("dallas",),
            ("houston",),
            ("san antonio",),
            ("fort worth",),
            ("plano",),
            ("el paso",),
        ),
    ),
    *_state(
        "new_york",
        "new york",
        "ny",
        "nyc",
        "new york city",
        cities=(("brooklyn",), ("manhattan",), ("buffalo",)),
    ),
    *_state(
        "washington",
        "washington state",
        "wa",
        cities=(("seattle",), ("bellevue",), ("redmond",), ("spokane",)),
    ),
    *_state("massachusetts", "massachusetts", "ma", cities=(("boston",), ("cambridge",))),
    *_state("illinois", "illinois", "il", cities=(("chicago",),)),
    *_state(
        "florida", "florida", "fl", cities=(("miami",), ("tampa",), ("orlando",), ("jacksonville",))
    ),
    *_state("georgia", "georgia", "ga", cities=(("atlanta",),)),
    *_state("colorado", "colorado", cities=(("denver",), ("boulder",))),
    *_state(
        "north_carolina", "north carolina", "nc", cities=(("raleigh",), ("charlotte",), ("durham",))
    ),
    *_state("arizona", "arizona", "az", cities=(("phoenix",), ("scottsdale",))),
    *_state("oregon", "oregon", cities=(("portland",),)),
    *_state("utah", "utah", cities=(("salt lake city",), ("lehi",))),
    *_state("tennessee", "tennessee", "tn", cities=(("nashville",),)),
    *_state("pennsylvania", "pennsylvania", "pa", cities=(("philadelphia",), ("pittsburgh",))),
    *_state("ohio", "ohio", cities=(("columbus",), ("cleveland",), ("cincinnati",))),
    *_state("minnesota", "minnesota", "mn", cities=(("minneapolis",),)),
    *_state("michigan", "michigan", "mi", cities=(("detroit",), ("ann arbor",))),
    *_state("new_jersey", "new jersey", "nj", cities=(("newark",), ("jersey city",))),
    _c("location:washington_dc", "washington dc", "washington d c", "dc", "d c", implies=(_US,)),
    *_country(
        "uk",
        "uk",
        "united kingdom",
        "england",
        "britain",
        "scotland",
        region="location:europe",
        cities=("london", "manchester", "edinburgh", "bristol"),
    ),
    *_country(
        "germany",
        "germany",
        "deutschland",
        region="location:europe",
        cities=("berlin", "munich", "hamburg"),
    ),
    *_country("france", "france", region="location:europe", cities=("paris", "lyon")),
    *_country(
        "netherlands",
        "netherlands",
        "holland",
        region="location:europe",
        cities=("amsterdam", "rotterdam"),
    ),
    *_country("ireland", "ireland", region="location:europe", cities=("dublin",)),
    *_country("spain", "spain", region="location:europe", cities=("madrid", "barcelona")),
    *_country("sweden", "sweden", region="location:europe", cities=("stockholm",)),
    *_country(
        "india",
        "india",
        region="location:asia_pacific",
        cities=("bangalore", "bengaluru", "mumbai", "delhi", "hyderabad", "pune"),
    ),
    *_country(
        "canada",
        "canada",
        region="location:north_america",
        cities=("toronto", "vancouver", "montreal"),
    ),
    *_country(
        "australia", "australia", region="location:asia_pacific", cities=("sydney", "melbourne")
    ),
    *_country("singapore", "singapore", region="location:asia_pacific"),
    *_country("japan", "japan", region="location:asia_pacific", cities=("tokyo",)),
    *_country("brazil", "brazil", region="location:latam", cities=("sao paulo",)),
    *_country("mexico", "mexico", region="location:latam", cities=("mexico city",)),
    *_country("israel", "israel", region="location:middle_east_africa", cities=("tel aviv",)),
    *_country(
        "uae",
        "uae",
        "united arab emirates",
        region="location:middle_east_africa",
        cities=("dubai",),
    ),
    *_country("nigeria", "nigeria", region="location:middle_east_africa", cities=("lagos",)),
    *_country("kenya", "kenya", region="location:middle_east_africa", cities=("nairobi",)),
)

CONCEPTS: tuple[Concept, ...] = (*_ROLES, *_SENIORITY, *_INDUSTRIES, *_TOPICS, *_LOCATIONS)
"""Every concept the search understands."""

COMPOSITES: dict[str, tuple[str, ...]] = {
    # A post about "moving our payments stack from our own racks to AWS" never says "cloud
    # migration", but it has both halves of one.
    "topic:cloud_migration": ("topic:cloud", "topic:migration"),
}
"""Concepts a document is tagged with when it holds all the listed concepts."""


@dataclass(frozen=True, slots=True)
class _Starts:
    """The phrases that start with one token, grouped by length for longest-match lookups."""

    lengths: tuple[int, ...]
    """Multi-token phrase lengths, longest first."""
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    """Multi-token phrase → concept ids."""
    single: tuple[str, ...]
    """Concept ids of the one-token phrase, if there is one."""


@dataclass(slots=True)
class Vocabulary:
    """The compiled phrase matcher over :data:`CONCEPTS`. Immutable after construction."""

    concepts: dict[str, Concept]
    composites: dict[str, tuple[str, ...]]
    _starts: dict[str, _Starts] = field(init=False)
    _closure: dict[str, frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        by_phrase: dict[tuple[str, ...], list[str]] = {}
        for concept in self.concepts.values():
            for phrase in concept.phrases:
                tokens = tuple(tokenize(phrase))
                if not tokens:
                    raise ValueError(f"phrase {phrase!r} of {concept.id} has no tokens")
                ids = by_phrase.setdefault(tokens, [])
                if concept.id not in ids:
                    ids.append(concept.id)
        grouped: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        for tokens, ids in by_phrase.items():
            grouped.setdefault(tokens[0], {})[tokens] = tuple(ids)
        self._starts = {
            first: _Starts(
                lengths=tuple(sorted({len(p) for p in phrases if len(p) > 1}, reverse=True)),
                phrases={p: ids for p, ids in phrases.items() if len(p) > 1},
                single=phrases.get((first,), ()),
            )
            for first, phrases in grouped.items()
        }
        self._closure = {cid: self._expand(cid) for cid in self.concepts}

    def _expand(self, cid: str) -> frozenset[str]:
        seen: set[str] = set()
        stack = [cid]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            concept = self.concepts.get(current)
            if concept is None:
                raise ValueError(f"unknown concept {current!r} implied by {cid!r}")
            stack.extend(concept.implies)
        return frozenset(seen)

    def match(self, tokens: Sequence[str]) -> list[Match]:
        """Non-overlapping phrase matches in ``tokens``, left to right, longest phrase first."""
        return [Match(start, end, ids) for start, end, ids in self._scan(tokens)]

    def _scan(self, tokens: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        starts = self._starts
        found: list[tuple[int, int, tuple[str, ...]]] = []
        free = 0  # first position not inside an earlier match
        # Indexing runs this over every post, so only positions where a phrase can start are
        # visited (about a quarter of the tokens), and matches are plain tuples.
        for i in [i for i, token in enumerate(tokens) if token in starts]:
            if i < free:
                continue
            start = starts[tokens[i]]
            for length in start.lengths:
                ids = start.phrases.get(tuple(tokens[i : i + length]))
                if ids is not None:
                    found.append((i, i + length, ids))
                    free = i + length
                    break
            else:
                if start.single:
                    found.append((i, i + 1, start.single))
                    free = i + 1
        return found

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """Concept tokens for a document: one per mention (so BM25 sees frequency), plus implied
        and composite concepts once each."""
        direct = [cid for _, _, ids in self._scan(tokens) for cid in ids]
        present: set[str] = set()
        for cid in set(direct):
            present |= self._closure[cid]
        for composite, parts in self.composites.items():
            if composite not in present and all(part in present for part in parts):
                present.add(composite)
        present.difference_update(direct)
        return direct + sorted(present)


@cache
def vocabulary() -> Vocabulary:
    """The shared, compiled vocabulary (built once per process; read-only afterwards)."""
    concepts: dict[str, Concept] = {}
    for concept in CONCEPTS:
        if concept.id in concepts:
            raise ValueError(f"duplicate concept {concept.id}")
        concepts[concept.id] = concept
    return Vocabulary(concepts, dict(COMPOSITES))
