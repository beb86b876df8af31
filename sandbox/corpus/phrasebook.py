"""What the synthetic corpus says: topic sentences, post scaffolding, and deliberately hostile text.

Plain data for :mod:`sandbox.corpus.generate`. Sentences are ``str.format`` templates whose
``{slots}`` the generator fills (see :data:`SLOTS`); each topic's sentences all name the topic
in words a reader would recognise, so a post generated "about" a topic plainly is.
"""

# Prose reads better one sentence per line than wrapped into fragments.
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CLOSERS",
    "CONTEXT_SENTENCES",
    "HOOKS",
    "REFLECTIONS",
    "SLOTS",
    "SPAM_HEADLINES",
    "SPAM_POSTS",
    "SPAM_TOPICS",
    "STRESS_SNIPPETS",
    "TOPICS",
    "TWEET_OPENERS",
    "TWEET_TAILS",
    "Topic",
]


@dataclass(frozen=True, slots=True)
class Topic:
    """What a post can be about: sentences (each names the topic), hooks, questions, hashtags."""

    sentences: tuple[str, ...]
    hooks: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Slots: the generic fillers; persona slots ({company}, {city}, {industry}, {title}) and
# numeric ones ({n}, {pct}, {money}, ...) are computed by the generator.

SLOTS: dict[str, tuple[str, ...]] = {
    "product": (
        "an AI copilot for finance teams",
        "a CRM for independent agents",
        "payroll for small businesses",
        "the data layer for logistics",
        "a better way to onboard customers",
        "infrastructure for AI agents",
        "software for home care nurses",
        "analytics for DTC brands",
        "a compliance engine for fintechs",
        "tools for remote teams",
    ),
    "audience": (
        "founders",
        "B2B SaaS teams",
        "early-stage startups",
        "healthcare teams",
        "small businesses",
        "real estate agents",
        "revenue teams",
        "HR leaders",
        "fintech companies",
        "DTC brands",
    ),
    "outcome": (
        "grow faster",
        "close more deals",
        "hire better",
        "ship faster",
        "cut churn in half",
        "scale without chaos",
        "find product-market fit",
        "build pipeline",
    ),
    "vc": (
        "Bramblewood Ventures",
        "Larkspur Capital",
        "Northbound VC",
        "Kestrel Partners",
        "Quillfield Fund",
        "Marigold Hill Capital",
        "Tidewater Ventures",
    ),
    "ai_tool": (
        "ChatGPT",
        "Claude",
        "Copilot",
        "Gemini",
        "an internal LLM assistant",
        "Perplexity",
        "an AI note-taker",
        "an AI writing assistant",
        "Cursor",
    ),
    "crm_tool": (
        "Follow Up Boss",
        "HubSpot",
        "Salesforce",
        "kvCORE",
        "LionDesk",
        "a spreadsheet",
        "Pipedrive",
        "Lofty",
        "a sticky-note system",
    ),
    "cloud": ("AWS", "Azure", "GCP", "Google Cloud", "AWS"),
    "engagement_tool": (
        "PulseLoop",
        "Kudosly",
        "TeamTemp",
        "Culture Amp",
        "Lattice",
        "15Five",
        "Officevibe",
        "a homegrown survey",
    ),
    "round": (
        "seed round",
        "Series A",
        "pre-seed round",
        "Series B",
        "seed extension",
        "$2M pre-seed",
        "Series A extension",
    ),
    "team": ("engineering", "platform", "product", "sales", "marketing", "ops", "support", "data"),
    "quarter": ("Q1", "Q2", "Q3", "Q4"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "event": (
        "SaaStr",
        "Web Summit",
        "our user conference",
        "a local meetup",
        "re:Invent",
        "Inbound",
        "RSA",
        "HLTH",
        "Money20/20",
        "Inman Connect",
    ),
    "metric": (
        "activation",
        "retention",
        "win rate",
        "reply rate",
        "NPS",
        "CAC payback",
        "time to hire",
        "conversion rate",
    ),
    "ehr": ("Epic", "Cerner", "the EHR"),
    "db": ("Postgres", "MySQL", "Oracle", "SQL Server", "DynamoDB"),
    "lang": ("Go", "Rust", "Python", "TypeScript", "Kotlin", "Java"),
}

# --------------------------------------------------------------------------------------------
# Generic post parts

HOOKS: tuple[str, ...] = (
    "Something I've been thinking about this week.",
    "Hot take incoming.",
    "A lesson I learned the hard way:",
    "Quick story from this week.",
    "I wasn't going to post this, but here we go.",
    "Unpopular opinion:",
    "Three things I wish someone had told me earlier.",
    "Big news from the {company} team!",
    "Let's talk about something nobody talks about.",
    "Real talk for a {weekday}:",
    "I get asked about this a lot, so here's my answer.",
    "This one surprised me.",
    "Reflecting on the last {n} months.",
    "Honest update from {company}.",
    "Sharing a few notes from the trenches.",
)

CONTEXT_SENTENCES: tuple[str, ...] = (
    "As a {title_lower} at {company}, I see this every single week.",
    "Here in {city}, the conversation is the same at every coffee chat.",
    "At {company} we learned this the hard way.",
    "After {n} years in {industry}, I'm still surprised by it.",
    "I've had this conversation with {n} different {industry} teams this month.",
    "Our team in {city} has been heads-down on this since {quarter}.",
    "Working in {industry} means the stakes are always a little higher.",
    "My team at {company} is small, so every decision like this matters.",
    "Spent the morning at a {city} coffee shop sketching this out.",
)

REFLECTIONS: tuple[str, ...] = (
    "None of this is glamorous, but it compounds.",
    "Progress over perfection.",
    "The boring stuff is usually the important stuff.",
    "I'm still learning, and I'll probably change my mind in six months.",
    "Small changes, big results.",
    "It's never as simple as the conference talks make it sound.",
    "Grateful for a team that's willing to try new things.",
    "Culture is what you do, not what you say.",
)

CLOSERS: tuple[str, ...] = (
    "What would you add?",
    "Curious how others are handling this.",
    "Agree or disagree?",
    "What am I missing?",
    "Would love to hear your take in the comments.",
    "DMs are open if you want to compare notes.",
    "Drop your best tip below.",
    "Anyone else seeing the same thing?",
    "More on this soon.",
    "Happy to share our playbook if it helps.",
)

TWEET_OPENERS: tuple[str, ...] = (
    "",
    "",
    "",
    "Hot take: ",
    "Real talk: ",
    "PSA: ",
    "Honest question: ",
    "Unpopular opinion: ",
    "TIL ",
    "Reminder: ",
    "Small win today: ",
    "Thread-ish: ",
    "Note to self: ",
)

TWEET_TAILS: tuple[str, ...] = (
    "",
    "",
    "",
    " Thoughts?",
    " Who else?",
    " 👀",
    " 🧵",
    " Anyone?",
    " More soon.",
    " Change my mind.",
    " 🙏",
    " 🚀",
)

# --------------------------------------------------------------------------------------------
# Topics. Every sentence names its topic; {slots} are filled by the generator.

TOPICS: dict[str, Topic] = {
    "ai": Topic(
        sentences=(
            "We rolled out {ai_tool} to the whole {team} team and {pct} of routine work disappeared.",
            "Everyone is buying AI tools, but almost nobody is measuring whether they help.",
            "I tested {n} AI tools for {team} workflows this month; only two earned a spot in my stack.",
            "{ai_tool} wrote the first draft, my team wrote the version that shipped. That's the right split with AI.",
            "Our AI pilot started as a side project and now saves every rep about {n} hours a week.",
            "Hot take: most AI tools are a feature, not a product.",
            "The best AI use case we found was boring: summarising calls and tagging them in the CRM.",
            "If your AI strategy is 'give everyone a ChatGPT login', you don't have an AI strategy.",
            "We built an AI agent that triages inbound requests before a human ever sees them.",
            "Generative AI changed how our {team} team writes briefs, not whether we need them.",
            "I asked {ai_tool} to critique our {quarter} plan. It found two gaps we'd missed.",
            "Our rule for AI tools: if it can't show ROI in {n} weeks, we cancel the seat.",
            "LLMs are great at the first 80%. The last 20% is still judgment.",
            "AI won't replace {industry} teams, but teams that use AI will replace teams that don't.",
            "We replaced three point solutions with one AI assistant and cut our tooling bill by {pct}.",
            "The AI hype cycle is loud; the quiet wins are in the workflows nobody posts about.",
            "Spent the weekend building a tiny AI workflow that drafts follow-ups from meeting notes.",
            "Machine learning used to need a data team. Now {ai_tool} gets a prototype live in a day.",
        ),
        hooks=(
            "Everyone wants to talk about AI tools. Here's what actually stuck for us.",
            "My honest review of the AI tools we paid for this year.",
        ),
        questions=(
            "Which AI tools made it into your daily workflow?",
            "What's one AI tool you'd never go back from?",
            "How are you measuring AI ROI on your team?",
        ),
        hashtags=("#AI", "#GenAI", "#AItools", "#FutureOfWork", "#LLM"),
    ),
    "fundraising": Topic(
        sentences=(
            "We just closed our {round} led by {vc}, and I'm still processing it.",
            "Fundraising lesson #{n}: investors buy momentum, not slides.",
            "Took {n2} investor meetings to get one term sheet. Persistence is the strategy.",
            "If you're raising a seed round right now, lead with retention, not TAM.",
            "Our pitch deck went from {n} slides to 12 and the investor conversations got better.",
            "Fundraising is a full-time job; protect your team from the roller coaster.",
            "A VC told me no in {n} minutes. Six months later they asked to lead our Series A.",
            "Founders: warm intros to investors still beat cold emails by a mile.",
            "We raised {money} from angels before any VC would take a meeting.",
            "The best investors asked about our customers, not our valuation.",
            "Runway is oxygen. We extended ours to {n2} months before starting the Series A process.",
            "Open question for founders fundraising in {quarter}: are you seeing longer diligence?",
            "Cap table hygiene matters more at seed than anyone tells you.",
            "Pre-seed fundraising in {city} looks nothing like it did two years ago.",
            "Closing this {round} means we can hire {n} engineers and double down on {product}.",
            "The investor update I send every month has done more for fundraising than any pitch.",
            "Say no to the wrong term sheet, even when you're nervous about runway.",
            "Looking for investors who've backed {industry} companies before: they skip the basics.",
        ),
        hooks=(
            "We did it. 🎉",
            "Fundraising thread: what I learned pitching {n2} investors.",
            "Some honest notes on raising our {round}.",
        ),
        questions=(
            "Founders, what's the best fundraising advice you ever got?",
            "Which investors have been great partners for you?",
            "How long did your last round take to close?",
        ),
        hashtags=("#fundraising", "#startups", "#venturecapital", "#SeriesA", "#founders"),
    ),
    "employee_engagement": Topic(
        sentences=(
            "Our employee engagement score jumped {pct} after we started acting on survey comments within a week.",
            "Annual engagement surveys are a rear-view mirror; pulse surveys tell you where you're heading.",
            "We're evaluating employee engagement software for {company} and the demos all look the same.",
            "We moved from a homegrown survey to {engagement_tool} and participation doubled.",
            "Employee engagement isn't pizza Fridays; it's managers who listen.",
            "Our eNPS went from {n} to {n2} once we closed the loop on feedback.",
            "If your engagement platform doesn't make it easy for managers to act, it's just a dashboard.",
            "Recognition programs work when peers can give kudos, not just leadership.",
            "We ran a pulse survey after the reorg and morale was lower than any of us guessed.",
            "The best employee engagement tool we have is a manager who does real one-on-ones.",
            "Remote teams need a different employee engagement playbook, full stop.",
            "Comparing {engagement_tool} and {engagement_tool2} for a {n2}-person company; would love opinions.",
            "Engagement survey fatigue is real: we cut ours to {n} questions and response rates went up.",
            "Employee experience starts at the offer letter, not at the first engagement survey.",
            "Morale dipped in {quarter}; our stay interviews told us why before the exit interviews could.",
            "An engagement score is a smoke detector, not a fire plan.",
        ),
        hooks=(
            "Let's talk about employee engagement software.",
            "Our latest engagement survey results were humbling.",
        ),
        questions=(
            "What employee engagement software are you using, and would you buy it again?",
            "How often do you run pulse surveys?",
            "What actually moved your engagement scores?",
        ),
        hashtags=(
            "#EmployeeEngagement",
            "#HR",
            "#PeopleOps",
            "#EmployeeExperience",
            "#WorkplaceCulture",
        ),
    ),
    "crm": Topic(
        sentences=(
            "Switched my whole database to {crm_tool} this month and my follow-ups finally run on autopilot.",
            "If your CRM isn't sending the follow-up, you're leaving commissions on the table.",
            "Looking for a CRM that handles buyer and seller pipelines without ten add-ons. Suggestions?",
            "My CRM tagged {n} past clients who are likely to move this year. That's my whole {quarter} plan.",
            "Agents: your sphere is your business, and your CRM is where it lives.",
            "We compared {crm_tool} and {crm_tool2} for our team of {n}; the winner was the one agents actually open.",
            "A CRM is only as good as the notes you put in after every showing.",
            "Set up smart lists in my CRM and booked {n} listing appointments from old leads.",
            "The best CRM is the one you use daily. Mine is {crm_tool}.",
            "Spent Sunday cleaning up my CRM: {n2} duplicate contacts gone.",
            "CRM tip: tag every open house visitor the same day or they're gone.",
            "Our brokerage is rolling out a new CRM and half the team is already pushing back.",
            "My CRM reminded me of a client's home anniversary and it turned into a referral.",
            "Drip campaigns in the CRM keep me top of mind without sounding like a robot.",
            "Looking at CRM solutions that sync with our MLS and texting; the list is short.",
            "The CRM pipeline view changed how our {team} team runs Monday meetings.",
        ),
        hooks=("CRM confession:", "What changed my business this year: a CRM I actually use."),
        questions=(
            "Which CRM are you using, and what do you love or hate about it?",
            "Agents, what's your CRM setup?",
            "Any CRM recommendations for a small team?",
        ),
        hashtags=("#realestate", "#CRM", "#realtor", "#leadgen", "#realestateagent"),
    ),
    "cloud_migration": Topic(
        sentences=(
            "{n} weeks into our {cloud} migration and the hardest part is still the data, not the compute.",
            "We finally migrated our core ledger off on-prem servers and onto {cloud}.",
            "Cloud migration lesson: lift-and-shift is a starting line, not a finish line.",
            "Our migration to {cloud} cut infrastructure costs by {pct}, but only after we re-architected.",
            "If you're planning a cloud migration in a regulated industry, bring compliance in on day one.",
            "We decommissioned our last data center rack this week after moving everything to {cloud}.",
            "Migrating {db} to a managed cloud database was the scariest cutover of my career.",
            "Cloud migration budgets are always wrong; plan for egress and the long tail of services.",
            "Halfway through moving our payment stack to the cloud and the observability gaps are showing.",
            "The cloud migration went live at 2 a.m. and nobody noticed. That's the goal.",
            "We migrated {n2} services to {cloud} in {n} months; the org chart was harder than the code.",
            "Before any cloud migration: map dependencies, then map them again.",
            "Multi-cloud sounds great until you're migrating identity between AWS and Azure.",
            "We're evaluating partners for our cloud migration; hands-on experience beats slideware.",
            "Moving off on-prem mainframes to {cloud} is finally on our {quarter} roadmap.",
            "Every cloud migration is secretly a data migration.",
        ),
        hooks=("Cloud migration update:", "Some honest notes from our cloud migration."),
        questions=(
            "What surprised you most in your cloud migration?",
            "Lift-and-shift or re-architect: what would you do again?",
            "How did you handle the data side of your migration?",
        ),
        hashtags=("#cloud", "#AWS", "#CloudMigration", "#fintech", "#devops"),
    ),
    "devops": Topic(
        sentences=(
            "We cut deploy time from {n2} minutes to {n} with a saner CI/CD pipeline.",
            "Kubernetes is great until you're the one on call at 3 a.m.",
            "Terraform drift bit us again; infrastructure as code only works if everyone uses it.",
            "Observability is not a dashboard; it's being able to ask new questions during an incident.",
            "Our postmortem culture changed when we stopped asking who and started asking why.",
            "Platform engineering is just DevOps with a product mindset.",
            "We moved {n} teams onto a shared Kubernetes platform and on-call pages dropped {pct}.",
            "Docker images under 100MB made our deployments boringly fast.",
            "The best DevOps tool we adopted this year was a runbook people actually read.",
        ),
        questions=(
            "What's your on-call rotation like?",
            "How do you keep Terraform drift in check?",
        ),
        hashtags=("#DevOps", "#Kubernetes", "#SRE", "#PlatformEngineering"),
    ),
    "security": Topic(
        sentences=(
            "Phishing simulations caught {pct} of our staff this quarter; training works, slowly.",
            "Zero trust is a journey, not a product you can buy at RSA.",
            "Ransomware groups are targeting {industry} harder than ever this year.",
            "We passed our SOC 2 Type II audit and the real win was the security habits it forced.",
            "MFA everywhere would have stopped {n} of the last {n2} breaches I investigated.",
            "Vulnerability management is a people problem wearing a tooling costume.",
            "Threat modeling before a launch saves weeks of security fixes after it.",
            "We found a critical CVE in a dependency nobody remembered we had.",
        ),
        questions=("How are you rolling out zero trust?", "What's your phishing click rate?"),
        hashtags=("#cybersecurity", "#infosec", "#ZeroTrust", "#security"),
    ),
    "hiring": Topic(
        sentences=(
            "We're hiring {n} engineers in {city} and remote; DM me if you want the inside scoop.",
            "Hiring tip: the best candidates interview you as hard as you interview them.",
            "Our time-to-hire dropped to {n} weeks once we cut two interview rounds.",
            "Recruiting in {industry} is brutal right now; referrals are carrying us.",
            "We hired our first {team} lead this month, and it changed everything.",
            "Take-home tests are losing us great candidates; we're switching to paired interviews.",
            "Every open role should have a scorecard before the first interview.",
            "Hiring slow and firing fast is easy to say and hard to do.",
            "Candidates remember how you made them feel, especially when you say no.",
            "Our recruiting team sourced {n2} candidates for one role; the winner was a referral.",
        ),
        questions=(
            "What's the best interview question you've been asked?",
            "How long is your hiring process?",
        ),
        hashtags=("#hiring", "#recruiting", "#talent", "#jobs"),
    ),
    "remote_work": Topic(
        sentences=(
            "Our team went fully remote {n} years ago and I wouldn't go back.",
            "Return-to-office mandates are solving the wrong problem.",
            "Hybrid work only works if the office is worth the commute.",
            "Remote work made our documentation better because it had to be.",
            "Distributed teams need fewer meetings and better writing.",
            "We tried {n} days in office; attendance settled at {n2}%.",
        ),
        questions=("Remote, hybrid or in-office: what's working for you?",),
        hashtags=("#RemoteWork", "#FutureOfWork", "#hybridwork"),
    ),
    "burnout": Topic(
        sentences=(
            "Twelve-hour shifts, short-staffed again, and we still showed up. Burnout is not a personal failing.",
            "I've been a nurse for {n} years and I've never seen burnout like this.",
            "Understaffed units don't need pizza parties; they need safe staffing ratios.",
            "Burnout in healthcare is a systems problem. Stop asking nurses to be more resilient.",
            "Took my first real day off in {n2} days. Mental health matters, even on the night shift.",
            "If you're burned out, you're not weak. You've been strong for too long.",
            "Our hospital finally added a wellbeing room and protected breaks. Small step, real impact.",
            "Compassion fatigue is real and we need to talk about it more.",
            "My team is exhausted, and another motivational email won't fix it.",
            "Short-staffed for {n} weekends in a row. Something has to give before people burn out.",
            "Checking in on my fellow nurses: how's your mental health this month?",
            "Burnout prevention starts with managers who protect time off.",
            "Leaving the bedside wasn't about pay; it was burnout and feeling unheard.",
            "The fatigue after a string of night shifts is nothing like normal tired.",
        ),
        hooks=("Let's be honest about burnout.", "A hard post to write."),
        questions=(
            "How are you protecting yourself from burnout?",
            "What would actually help with staffing?",
        ),
        hashtags=("#nursing", "#burnout", "#MentalHealth", "#healthcare", "#nurses"),
    ),
    "leadership": Topic(
        sentences=(
            "The best leadership advice I ever got: your calendar is your strategy.",
            "One-on-ones are the highest-leverage meeting a manager has.",
            "Mentorship changed my career; now I try to pay it forward every {weekday}.",
            "First-time managers: your job is to make your team successful, not to be the hero.",
            "Leadership is mostly repeating the same message until it's boring.",
            "Coaching beats telling, every time.",
        ),
        questions=("What's the best leadership lesson you've learned?",),
        hashtags=("#leadership", "#management", "#mentorship"),
    ),
    "product_launch": Topic(
        sentences=(
            "We just launched {product} and the first {n2} signups came in before lunch.",
            "Launch day! After {n} months of building, it's finally live.",
            "We shipped a new feature nobody asked for, and it became our most used one.",
            "Our beta had {n2} users; the feedback rewrote our roadmap.",
            "Launching on Product Hunt taught us more about positioning than a year of planning.",
            "The release went out Friday afternoon. Yes, we know. It was fine.",
        ),
        questions=("What's your launch checklist?",),
        hashtags=("#ProductLaunch", "#buildinpublic", "#product"),
    ),
    "pricing": Topic(
        sentences=(
            "We raised prices {pct} and churn didn't move. Pricing is the most underused lever.",
            "Usage-based pricing aligned us with customers, but forecasting got harder.",
            "Freemium brought volume; it also brought {n2}x more support tickets.",
            "Per-seat pricing is breaking in the age of AI agents.",
            "Our pricing page redesign lifted trial-to-paid by {pct}.",
        ),
        questions=("How often do you revisit pricing?",),
        hashtags=("#pricing", "#SaaS", "#monetization"),
    ),
    "churn": Topic(
        sentences=(
            "Churn is a lagging indicator; product usage tells you {n} months earlier.",
            "Our net revenue retention crossed 120% once customer success owned renewals.",
            "Every churned customer gets a call from me personally. It's humbling and worth it.",
            "Customer retention starts in onboarding, not at renewal time.",
            "We cut logo churn by {pct} with a simple health score.",
        ),
        questions=("What's your best churn-prevention play?",),
        hashtags=("#CustomerSuccess", "#churn", "#retention"),
    ),
    "seo_content": Topic(
        sentences=(
            "Our blog drives {pct} of pipeline, and it started with one post a week.",
            "SEO is slow until it isn't; our organic traffic tripled in {n} months.",
            "Content marketing works when it answers questions your sales team hears daily.",
            "Keyword research is table stakes; point of view is the moat.",
            "We deleted {n2} old blog posts and organic traffic went up.",
        ),
        questions=("What's working for your content strategy this year?",),
        hashtags=("#SEO", "#ContentMarketing", "#marketing"),
    ),
    "email_marketing": Topic(
        sentences=(
            "Our email automation flows now drive {pct} of revenue with zero extra headcount.",
            "Email marketing isn't dead; bad email marketing is.",
            "We rebuilt our welcome sequence and open rates jumped to {n2}%.",
            "Marketing automation should feel personal, or it's just spam with a logo.",
            "Our newsletter hit {n},000 subscribers, all organic.",
            "Abandoned-cart emails are still the highest-ROI email automation we run.",
        ),
        questions=("What's your best-performing email sequence?",),
        hashtags=("#EmailMarketing", "#MarketingAutomation", "#ecommerce"),
    ),
    "sales_pipeline": Topic(
        sentences=(
            "Outbound isn't dead; lazy outbound is.",
            "Our reply rate on cold email went from {n}% to {n2}% after we cut the pitch entirely.",
            "Pipeline coverage of 3x is a floor, not a goal.",
            "Best discovery call question: what happens if you do nothing?",
            "Cold calling still works in {industry}; most reps just stopped doing it.",
            "We hit {pct} over quota in {quarter} with half the demos and better qualification.",
            "Social selling is just being helpful in public, consistently.",
        ),
        questions=("What's your best prospecting tip?",),
        hashtags=("#sales", "#outbound", "#B2Bsales", "#prospecting"),
    ),
    "paid_ads": Topic(
        sentences=(
            "ROAS looks great until you check the incrementality test.",
            "We paused {pct} of our paid ads spend and revenue didn't notice.",
            "Meta ads CPMs are up again; creative is the only real lever left.",
            "CAC payback over {n} months means your paid social is a loan, not an investment.",
        ),
        questions=("How are you measuring paid ads incrementality?",),
        hashtags=("#PaidAds", "#PerformanceMarketing", "#growth"),
    ),
    "brand": Topic(
        sentences=(
            "Brand is what people say about you when you're not in the room.",
            "Our rebrand took {n} months and the hardest part was the positioning, not the logo.",
            "Storytelling beats feature lists in every brand awareness test we've run.",
            "Positioning is a choice about who you're not for.",
        ),
        questions=("What brand do you think nails positioning?",),
        hashtags=("#branding", "#marketing", "#positioning"),
    ),
    "social_media": Topic(
        sentences=(
            "Posted on social media every day for {n2} days; here's what happened to my business.",
            "Short video is the new open house flyer, and social media is the new street.",
            "My best social media post this year was a behind-the-scenes photo, not a polished graphic.",
            "Consistency on social media beats virality every time.",
            "I batch my social media content on {weekday} and schedule the rest.",
        ),
        questions=("Which platform brings you the most business?",),
        hashtags=("#SocialMedia", "#ContentCreator", "#marketing"),
    ),
    "data": Topic(
        sentences=(
            "We rebuilt our data warehouse on dbt and our analytics finally match finance.",
            "Nobody trusts a dashboard that was wrong once; data quality is a product.",
            "Our data pipeline broke at month-end close. Again.",
            "Most analytics questions don't need a model, they need a clean SQL table.",
            "Our data team spends {pct} of its time on definitions, and that's the real work.",
        ),
        questions=("How does your data team prioritise requests?",),
        hashtags=("#data", "#analytics", "#dataengineering"),
    ),
    "engineering": Topic(
        sentences=(
            "We paid down tech debt for a whole quarter and shipped faster afterwards.",
            "Microservices solved our org problem and created {n} new engineering problems.",
            "Code review is where engineering culture actually lives.",
            "We rewrote the service in {lang}; p99 latency dropped {pct}.",
            "Boring architecture is a feature.",
            "Our monolith is fine. Really. It's fine.",
        ),
        questions=("What's your team's code review rule of thumb?",),
        hashtags=("#engineering", "#softwareengineering", "#programming"),
    ),
    "payments": Topic(
        sentences=(
            "Real-time payments are changing how our customers think about cash.",
            "Chargebacks dropped {pct} after we rebuilt the checkout fraud rules.",
            "Every payments company eventually becomes a ledger company.",
        ),
        questions=("What's the hardest part of payments for you?",),
        hashtags=("#payments", "#fintech"),
    ),
    "compliance": Topic(
        sentences=(
            "Compliance is a feature when your customers are banks.",
            "KYC and AML checks added {n} days to onboarding; automation gave us {n} back.",
            "GDPR requests tripled this year; our compliance tooling barely kept up.",
            "The EU AI Act is going to reshape how we document our models.",
            "Audit season again: if it isn't written down, it didn't happen.",
        ),
        questions=("How are you preparing for the next audit?",),
        hashtags=("#compliance", "#regtech", "#privacy"),
    ),
    "supply_chain": Topic(
        sentences=(
            "Inventory accuracy went from {n2}% to 99% once we stopped trusting spreadsheets.",
            "Supply chain resilience means two suppliers for everything that matters.",
            "Our fulfillment costs dropped {pct} after we moved to a regional warehouse.",
            "Procurement is the most underrated team in any supply chain.",
        ),
        questions=("What's your biggest supply chain headache right now?",),
        hashtags=("#SupplyChain", "#logistics", "#operations"),
    ),
    "operations": Topic(
        sentences=(
            "Process improvement is unglamorous; the results aren't.",
            "We documented every SOP this quarter and onboarding time halved.",
            "Scaling operations means saying no to heroics.",
        ),
        questions=("What's one process you'd never go back from?",),
        hashtags=("#operations", "#bizops"),
    ),
    "ecommerce_growth": Topic(
        sentences=(
            "Our conversion rate jumped {pct} after we rewrote the product page copy.",
            "Cart abandonment emails recovered {money} last month.",
            "Black Friday prep starts in July if you want inventory and ads ready.",
            "Average order value went up when we bundled, not when we discounted.",
            "Shopify checkout tweaks moved conversion more than any redesign.",
        ),
        questions=("What's your best conversion rate experiment this year?",),
        hashtags=("#ecommerce", "#DTC", "#Shopify"),
    ),
    "patient_care": Topic(
        sentences=(
            "A patient thanked me today for explaining things slowly. That's why I do this.",
            "Charting in {ehr} takes longer than the patient care it documents.",
            "Safe staffing ratios are patient care, plain and simple.",
            "Discharge teaching is the most underrated part of nursing.",
            "The ICU taught me that patient care is teamwork, every single shift.",
            "New grads: ask questions at the bedside; patients would rather you check.",
        ),
        questions=("What's one thing that would improve patient care on your unit?",),
        hashtags=("#nursing", "#patientcare", "#healthcare"),
    ),
    "housing_market": Topic(
        sentences=(
            "Just listed in {city}! {n} beds, a backyard, and a kitchen you'll want to cook in.",
            "Mortgage rates dipped this week and my phone hasn't stopped ringing.",
            "Inventory in {city} is finally up, and buyers are negotiating again.",
            "Open house this {weekday} in {city}; come say hi.",
            "First-time buyers: get pre-approved before you fall in love with a listing.",
            "Under contract in {n} days with multiple offers. The {city} housing market is alive.",
            "Sellers: pricing right on day one beats three price drops.",
            "Home prices in {city} are flat year over year, but the good listings still move fast.",
        ),
        questions=("Buyers and sellers: what questions do you have about this market?",),
        hashtags=("#realestate", "#justlisted", "#housingmarket", "#homebuyers"),
    ),
    "dei": Topic(
        sentences=(
            "Diversity without inclusion is just a hiring metric.",
            "Our ERGs did more for belonging than any policy we wrote.",
            "Pay equity audits should be annual, not a one-off press release.",
        ),
        questions=("What's worked for inclusion on your team?",),
        hashtags=("#DEI", "#inclusion", "#belonging"),
    ),
    "performance_reviews": Topic(
        sentences=(
            "Performance reviews shouldn't contain a single surprise.",
            "We replaced annual performance reviews with quarterly check-ins and OKRs.",
            "Calibration meetings are where bias hides; structure them.",
            "Continuous feedback beats a once-a-year performance review every time.",
        ),
        questions=("How often do you run performance reviews?",),
        hashtags=("#PerformanceManagement", "#HR", "#feedback"),
    ),
    "onboarding": Topic(
        sentences=(
            "A new hire's first week decides whether they stay for three years.",
            "We rebuilt onboarding around a 30-60-90 plan and ramp time dropped {pct}.",
            "Onboarding isn't paperwork; it's belonging.",
        ),
        questions=("What's the best onboarding you've experienced?",),
        hashtags=("#onboarding", "#HR", "#employeeexperience"),
    ),
    "layoffs": Topic(
        sentences=(
            "I was laid off this week along with {n2} colleagues. Open to work and grateful for the ride.",
            "If you're doing layoffs, do them once, do them humanely, and tell the truth.",
            "Restructuring notes: the people who stay need as much care as the people who go.",
        ),
        questions=("Who's hiring? Happy to share great people.",),
        hashtags=("#layoffs", "#OpenToWork", "#jobsearch"),
    ),
    "career": Topic(
        sentences=(
            "Excited to share that I'm starting a new role as {title} at {company}!",
            "Career advice I'd give my younger self: say yes to the messy projects.",
            "Five years ago I almost quit {industry}; today I'm celebrating a promotion.",
            "Your network is built before you need it.",
            "A career change at {n2}? Absolutely possible. Here's how I did it.",
            "Resume tip: outcomes, not responsibilities.",
        ),
        questions=("What's the best career advice you've received?",),
        hashtags=("#career", "#careeradvice", "#growth"),
    ),
    "productivity": Topic(
        sentences=(
            "I blocked focus time every morning for a month; my output doubled.",
            "Fewer meetings, better notes, more deep work.",
            "My calendar rule: no meeting without an agenda.",
            "Time management is really energy management.",
        ),
        questions=("What's your best productivity habit?",),
        hashtags=("#productivity", "#deepwork"),
    ),
    "open_source": Topic(
        sentences=(
            "Our open source project just passed {n},000 GitHub stars.",
            "Maintainers are burning out; sponsor the open source you depend on.",
            "First pull request merged into a project I've used for years. Feels great.",
        ),
        questions=("What open source project do you wish more people knew about?",),
        hashtags=("#OpenSource", "#GitHub", "#developers"),
    ),
    "events": Topic(
        sentences=(
            "Heading to {event} next week; who else will be there?",
            "Great panel at {event} today on where {industry} is heading.",
            "Our webinar on {metric} had {n2}0 signups. Recording coming soon.",
            "Hosting a small meetup in {city} this {weekday}; DM me for an invite.",
        ),
        questions=("Which conference is worth it this year?",),
        hashtags=("#events", "#conference", "#networking"),
    ),
    "customer_experience": Topic(
        sentences=(
            "Customer experience is every team's job, not just support's.",
            "We cut support ticket response time to {n} minutes and NPS jumped {n2} points.",
            "Read your customer support tickets. All of them. Once a month.",
            "CSAT is a lagging signal; customer feedback in calls is the leading one.",
        ),
        questions=("How do you keep customer feedback flowing to product?",),
        hashtags=("#CustomerExperience", "#CX", "#support"),
    ),
    "design": Topic(
        sentences=(
            "Our design system saved {n2} hours of rework last quarter.",
            "User research beat opinions in every design review this month.",
            "Accessibility isn't an edge case; it's good UX for everyone.",
            "A rough prototype in Figma settled a debate that two meetings couldn't.",
        ),
        questions=("How do you bring user research into design reviews?",),
        hashtags=("#UX", "#design", "#ProductDesign"),
    ),
    "finance_ops": Topic(
        sentences=(
            "We closed the books in {n} days this month, down from {n2}.",
            "Forecasting is humility with a spreadsheet.",
            "Unit economics first, growth second; the budget follows.",
            "Burn rate conversations are easier when the forecast is honest.",
            "Spend management software paid for itself in one quarter.",
        ),
        questions=("What's your month-end close down to?",),
        hashtags=("#finance", "#CFO", "#FPandA"),
    ),
    "startup_life": Topic(
        sentences=(
            "Building in public, month {n}: {n2} customers and a lot of lessons.",
            "Product-market fit feels like being pulled, not pushing.",
            "We bootstrapped to {money} in revenue before talking to anyone about money.",
            "Our MVP was embarrassing. It also got us our first ten customers.",
        ),
        questions=("What did product-market fit feel like for you?",),
        hashtags=("#startups", "#buildinpublic", "#founders"),
    ),
    "education": Topic(
        sentences=(
            "My students used an outline tool for the first time and the essays got better.",
            "Curriculum changes take years; classroom realities change in weeks.",
            "Lesson plan for {weekday}: fewer slides, more conversation.",
        ),
        questions=("Teachers, what's changed in your classroom this year?",),
        hashtags=("#education", "#teaching"),
    ),
}

# --------------------------------------------------------------------------------------------
# Hostile text: a small share of posts carries it, so downstream escaping gets exercised.

STRESS_SNIPPETS: tuple[str, ...] = (
    "Q3 P&L looks *much* better than Q2 📈",
    "R&D budget up, S&M budget down.",
    "latency went from 900ms -> <120ms 🔥",
    "if ARR > $1M && churn < 5% we're happy",
    "__init__ files everywhere, snake_case_names forever.",
    "**bold** claims need _real_ data.",
    "~strikethrough~ and `inline code` in one post, why not.",
    "<b>not actually bold</b> &amp; not actually escaped",
    "Pro tip: <!here> is not a strategy.",
    "Shout-out to <@U123> for the intro!",
    "cc <#C0424|general> 👋",
    "M&A season is here >:)",
    "Emoji overload: 🚀🚀🚀 🤯 ✅ 💡 🙌🏽",
    "1 < 2 > 0 & that's math",
    "Q&A recording: <https://example.com/qa|watch here>",
    "<script>alert('hi')</script> (yes, someone put this in our survey)",
)

SPAM_POSTS: tuple[str, ...] = (
    "<!channel> 🚨 FREE {spam_topic} leads!!! DM now or click <https://evil.example|click> "
    "to claim your list *today only* 💸💸 cc <@U123>",
    "🔥🔥 Want 10x {spam_topic} results? <https://evil.example|click> & get 5,000 contacts "
    "<!everyone> >>> limited_time_offer <<<",
    "Guaranteed {spam_topic} growth!!! <!here> **no risk** __no effort__ "
    "<https://evil.example/win|click> 🤑 <@U123> <@U456>",
)
"""A spammer's posts: mass mentions and disguised links aimed at whatever renders them."""

SPAM_TOPICS: tuple[str, ...] = (
    "CRM",
    "AI tools",
    "investor",
    "fundraising",
    "employee engagement",
    "cloud migration",
    "real estate",
    "SaaS",
)

SPAM_HEADLINES: tuple[str, ...] = (
    "Founder @ GrowthRocket | 10x your pipeline 🚀 | DM me",
    "Realtor & Lead Gen Expert | Click my link 👇",
    "Marketing Director | AI tools reseller | 💸 passive income",
    "HR Manager | Engagement hacks | Free leads",
    "CTO | Crypto | Cloud | 100x gains",
)
