# ruff: noqa: E501 - sentences read better unbroken than split to fit the line length
"""Sentence templates for the synthetic stories, per section and shared.

Slots (filled by `story.py`): {P1} {P2} {ORG} are entity markers written in full on first
use and short afterwards; {P1s} {P2s} surnames and {P1t} {P2t} titles (headlines, bullets);
{oa} the acronym; {c} {cap} {dem} {city} the focal country, capital, demonym and a city;
{c2} {cap2} {dem2} a counterpart country; {issue} {issue2} section subjects; {pct} {pct2}
{amt} {num} figures; date phrases {on_day} {day_earlier} {last_month} {abs_date} {last_year},
each recorded in the manifest with the date it resolves to.

Pools are large and slot-heavy on purpose: two distinct stories must look distinct to a
near-duplicate detector, while a wire copy is byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SectionText:
    """Everything a story of one section can say."""

    label: str
    issues: tuple[str, ...]
    headlines: tuple[str, ...]
    bullets: tuple[str, ...]
    leads: tuple[str, ...]
    context: tuple[str, ...]
    background: tuple[str, ...]
    figures: tuple[str, ...]
    quotes: tuple[str, ...]


SECTION_TEXT: dict[str, SectionText] = {
    "politics": SectionText(
        label="Politics",
        issues=(
            "electoral reform",
            "a constitutional amendment on provincial powers",
            "the caretaker cabinet",
            "local government elections",
            "a proposed visa-free travel pact",
            "the new anti-corruption law",
            "a bill to cap campaign spending",
        ),
        headlines=(
            "{c} and {c2} agree to deepen ties as {P1s} visits {cap2}",
            "{P1s} defends {issue} amid opposition walkout",
            "{dem} lawmakers clash over {issue} ahead of key vote",
            "{P1s} urges {c2} to back {issue} in landmark talks",
            "Opposition demands inquiry as {P1s} pushes {issue}",
        ),
        bullets=(
            "{P1t} {P1s} says {issue} will be settled through dialogue",
            "Opposition parties accuse the government of rushing {issue}",
            "{c} and {c2} pledge regular consultations between their foreign ministries",
            "{oa} to publish its findings within weeks",
        ),
        leads=(
            "{P1} {on_day} called on {dem2} leaders to support {issue}, telling a joint news conference in {cap} that the two countries could not afford another year of delays.",
            "{dem} lawmakers {on_day} began debating {issue}, with {P1} insisting the measure would strengthen parliament rather than weaken it.",
            "{c} and {c2} {on_day} signed a framework on {issue} after talks between {P1} and a visiting delegation from {cap2}.",
        ),
        context=(
            "Cabinet ministers had reviewed {issue2} {day_earlier}, according to officials familiar with the discussions.",
            "{P1} has staked much of the government’s credibility on {issue}, which critics say was drafted without consulting the provinces.",
            "Officials in {cap} said the visit had been planned for months but was brought forward after a round of disputes over {issue2}.",
            "The opposition, led by figures close to {P2}, has threatened to boycott proceedings until the government publishes the full text.",
        ),
        background=(
            "{ORG} has been asked to review the proposals and report back to parliament before the summer recess.",
            "Relations between {c} and {c2} have warmed since {last_year}, when the two sides reopened consulates that had been closed for almost a decade.",
            "{last_month}, a cross-party committee chaired by a former judge recommended sweeping changes to how {issue2} is handled.",
            "Diplomats in {cap2} say the agreement reflects a broader push by both governments to reduce their dependence on distant partners.",
        ),
        figures=(
            "A survey published by {ORG} found that {pct} of respondents supported {issue}, while {pct2} were undecided.",
            "The bill passed its first reading by {num} votes to {num2}, according to the parliamentary record.",
        ),
        quotes=(
            "We will not be rushed, but we will not be stopped either",
            "The people of {c} deserve institutions that answer to them",
            "Our friendship with {c2} is not a matter of convenience, it is a matter of shared future",
            "There is no shortcut around the constitution, and nobody is looking for one",
            "This is the most serious reform in a generation and it must be done properly",
        ),
    ),
    "economy": SectionText(
        label="Economy",
        issues=(
            "the fuel subsidy overhaul",
            "a new tax on remittance transfers",
            "the budget deficit",
            "the next tranche of a standby loan",
            "a plan to widen the tax net",
            "the currency swap line",
            "the export rebate scheme",
        ),
        headlines=(
            "{P1s} unveils plan to tackle {issue} as inflation eases",
            "{dem} markets steady after {P1s} signals talks on {issue}",
            "{c} and {c2} discuss {issue} as trade gap narrows",
            "{oa} warns {issue} could slow growth to {pct}",
            "Investors cautious as {P1s} delays decision on {issue}",
        ),
        bullets=(
            "{P1t} {P1s} says {issue} will be phased in over two years",
            "Economists expect growth of around {pct} this fiscal year",
            "{oa} urges the government to protect low-income households",
            "{c} hopes to double trade with {c2} by the end of the decade",
        ),
        leads=(
            "{P1} {on_day} announced measures to address {issue}, saying the government would protect households earning less than {amt} a year from any new charges.",
            "{dem} officials and a delegation from {cap2} {on_day} held talks on {issue}, the finance ministry said, as both sides look to lift bilateral trade beyond {amt}.",
            "{P1} {on_day} told business leaders in {city} that {issue} was unavoidable but would be introduced gradually.",
        ),
        context=(
            "{P1} had met representatives of the country’s largest banks {day_earlier}, the ministry said.",
            "Markets had been braced for tougher measures after {ORG} flagged {issue2} as the main risk to the recovery.",
            "{P2} has argued that the government should focus on {issue2} before adding new burdens on importers.",
            "Traders in {city} said the comments eased some of the pressure that had built up over the week.",
        ),
        background=(
            "Inflation slowed to {pct} {last_month}, the lowest reading in more than two years, giving policymakers some room to manoeuvre.",
            "{ORG} has repeatedly urged {c} to broaden its revenue base, noting that fewer than one in ten adults files a tax return.",
            "Remittances from workers abroad reached {amt} {last_year}, making them the single largest source of foreign exchange.",
            "The central bank cut its policy rate {abs_date}, its third reduction since the start of the easing cycle.",
        ),
        figures=(
            "Exports rose {pct} year on year to {amt}, while imports grew {pct2}, according to official figures.",
            "The government expects to raise an additional {amt} from the measures, roughly {pct} of annual revenue.",
        ),
        quotes=(
            "We cannot keep borrowing to pay for yesterday’s decisions",
            "Every dollar we save on subsidies is a dollar we can spend on schools and clinics",
            "The worst is behind us, but the recovery is still fragile",
            "Our partners in {c2} have shown real flexibility and we intend to match it",
            "Nobody likes new taxes, but everybody likes functioning hospitals",
        ),
    ),
    "technology": SectionText(
        label="Technology",
        issues=(
            "a national data protection law",
            "the rollout of 5G licences",
            "a digital identity scheme",
            "rules for ride-hailing apps",
            "a cloud computing partnership",
            "the regulation of digital assets",
            "a cybersecurity strategy",
        ),
        headlines=(
            "{c} moves ahead with {issue} as {P1s} courts investors",
            "{P1s} says {issue} will create thousands of jobs",
            "{oa} raises privacy concerns over {issue}",
            "{c} and {c2} sign pact on {issue}",
            "Start-ups welcome {issue} but warn of red tape",
        ),
        bullets=(
            "{P1t} {P1s} says {issue} will be finalised this year",
            "{oa} calls for independent oversight of personal data",
            "Officials expect {num} new technology jobs by the end of next year",
            "{c} seeks expertise from {c2} on training engineers",
        ),
        leads=(
            "{P1} {on_day} presented {issue} to a gathering of software firms in {city}, promising faster approvals for companies that build products locally.",
            "{c} {on_day} signed an agreement with {c2} on {issue}, the technology ministry said, in a bid to attract foreign investment into its digital economy.",
            "Regulators in {cap} {on_day} published a draft of {issue}, opening a consultation that will run until the end of next month.",
        ),
        context=(
            "The draft was circulated to industry groups {day_earlier}, giving them little time to respond, according to two people who saw it.",
            "{P2} said the rules risked favouring large foreign platforms over local start-ups.",
            "Officials said {issue2} would follow once the current framework was in place.",
            "The ministry has set up a help desk in {city} for companies seeking licences under the new regime.",
        ),
        background=(
            "{ORG} has warned that {c} suffered more than {num} reported cyberattacks on public bodies {last_year}.",
            "Mobile internet use has grown rapidly, with subscriptions rising {pct} {last_month} alone, according to the telecoms regulator.",
            "The country’s first data centre built to international standards opened {abs_date} on the outskirts of {city}.",
            "Engineers trained abroad have been returning in larger numbers, drawn by salaries that have risen {pct} in two years.",
        ),
        figures=(
            "Technology exports reached {amt}, up {pct} from a year earlier, official data showed.",
            "The government aims to train {num} software developers a year under the scheme, at a cost of {amt}.",
        ),
        quotes=(
            "Data is the infrastructure of this century and we intend to own ours",
            "We want engineers in {city} to build for the world, not just for the neighbourhood",
            "Privacy is not a luxury, it is the price of trust",
            "Regulation that arrives too late is no regulation at all",
            "Our young people are ready, the question is whether the rules are",
        ),
    ),
    "energy": SectionText(
        label="Energy",
        issues=(
            "electricity tariffs",
            "a solar park tender",
            "circular debt in the power sector",
            "a gas pipeline extension",
            "the phase-out of diesel generators",
            "a new grid interconnector",
            "fuel import contracts",
        ),
        headlines=(
            "{P1s} promises relief on {issue} as summer demand peaks",
            "{oa} approves review of {issue}",
            "{c} signs deal with {c2} on {issue}",
            "Power producers push back against {oa} ruling on {issue}",
            "{c} bets on {issue} to end load-shedding",
        ),
        bullets=(
            "{oa} to hold public hearings on {issue} next month",
            "{P1t} {P1s} says households will be shielded from the steepest increases",
            "{c} aims to generate {pct} of its power from renewables by 2030",
            "Deal with {c2} covers financing worth {amt}",
        ),
        leads=(
            "{P1} {on_day} said the government would revisit {issue} after {ORG} approved an increase that consumer groups called unaffordable.",
            "{c} and {c2} {on_day} agreed to cooperate on {issue}, with {P1} describing the deal as a turning point for the country’s energy security.",
            "The energy ministry {on_day} opened bids for {issue}, drawing interest from companies in {c2} and beyond, {P1} told reporters in {cap}.",
        ),
        context=(
            "Lenders had renewed their demand for a plan to reduce losses in the power sector {day_earlier}.",
            "{P2} said the sector’s problems could not be fixed by tariff increases alone.",
            "Officials said {issue2} would be considered separately once the current review was complete.",
            "Engineers at the national grid company have warned of outages in {city} if demand keeps rising at the current pace.",
        ),
        background=(
            "{ORG} was set up to insulate pricing decisions from politics, but its rulings have frequently been overturned by the cabinet.",
            "Power cuts lasting up to ten hours a day hit parts of the country {last_month}, prompting protests in several cities.",
            "The country spent {amt} on fuel imports {last_year}, more than on health and education combined.",
            "A heatwave {abs_date} pushed demand to a record, forcing the grid operator to ration supply to industry.",
        ),
        figures=(
            "Installed solar capacity has grown {pct} in two years, but still meets only {pct2} of peak demand.",
            "Circulating debt in the power sector stands at {amt}, according to the latest official estimate.",
        ),
        quotes=(
            "We will not balance the books of the power sector on the backs of the poorest consumers",
            "Every megawatt we generate at home is a dollar we do not have to borrow",
            "The sun is free, the panels are not, and that is where our partners in {c2} come in",
            "Load-shedding is not a policy, it is a failure, and we intend to end it",
            "The regulator’s job is to say the uncomfortable things out loud",
        ),
    ),
    "conflict": SectionText(
        label="Conflict",
        issues=(
            "a ceasefire along the border",
            "the withdrawal of foreign fighters",
            "a prisoner exchange",
            "humanitarian corridors",
            "the security of aid convoys",
            "peace talks mediated by neighbouring states",
            "attacks on infrastructure projects",
        ),
        headlines=(
            "{c} and {c2} urge restraint as talks on {issue} stall",
            "{P1s} says militants will face ‘decisive response’ after attack",
            "{oa} calls for {issue} as fighting spreads",
            "Envoy {P1s} arrives in {cap2} to revive {issue}",
            "{dem} forces on alert after attack near {city}",
        ),
        bullets=(
            "{oa} says at least {num} people have been displaced this year",
            "{P1t} {P1s} calls for ‘visible and verifiable’ steps against armed groups",
            "Talks on {issue} expected to resume within days",
            "{c} and {c2} agree to share intelligence on cross-border movements",
        ),
        leads=(
            "{P1} {on_day} called for {issue}, warning that the violence near {city} risked drawing in neighbouring states.",
            "{c} and {c2} {on_day} urged armed groups to respect {issue}, according to a joint statement issued after talks in {cap}.",
            "At least {num} people were killed {on_day} in an attack near {city}, officials said, as {P1} convened an emergency meeting of security chiefs.",
        ),
        context=(
            "A delegation from {cap2}, which has offered to host further talks, had visited the area {day_earlier}.",
            "{P2} said the government had been warned about the threat but had failed to act.",
            "Humanitarian groups said {issue2} remained the most urgent priority for civilians caught in the fighting.",
            "Residents of {city} described hearing explosions through the night and said many families had left for safer areas.",
        ),
        background=(
            "{ORG} has maintained a presence in the region since the last ceasefire collapsed, monitoring violations along the frontier.",
            "Fighting intensified {last_month} after a previous round of talks broke down over {issue2}.",
            "More than {num} people have been displaced since {last_year}, according to relief agencies.",
            "An earlier attack {abs_date} targeted a convoy carrying engineers working on a road project.",
        ),
        figures=(
            "Relief agencies say they have received only {pct} of the {amt} needed to support displaced families this year.",
            "Security forces have carried out {num} operations in the area since the start of the year, the army said.",
        ),
        quotes=(
            "Those who attack our people will find no sanctuary, here or across the border",
            "A ceasefire that is not monitored is only a pause",
            "We have asked our neighbours for visible and verifiable action, not statements",
            "The families of {city} have waited long enough for peace",
            "Dialogue remains the only road, however narrow it has become",
        ),
    ),
    "society": SectionText(
        label="Society",
        issues=(
            "rent controls",
            "the minimum wage",
            "school enrolment for girls",
            "public transport fares",
            "protections for domestic workers",
            "access to clean water",
            "the housing shortage",
        ),
        headlines=(
            "{P1s} pledges action on {issue} after protests in {city}",
            "Campaigners say {issue} is failing the poorest families",
            "{oa} demands talks on {issue} as strike looms",
            "{dem} households feel the squeeze as debate over {issue} grows",
            "New report puts {issue} at the centre of {c}’s election debate",
        ),
        bullets=(
            "{oa} says its members will strike if talks fail",
            "{P1t} {P1s} promises a review of {issue} within three months",
            "Survey finds {pct} of families spend more than half their income on rent and food",
            "Campaigners in {city} call for emergency measures",
        ),
        leads=(
            "{P1} {on_day} promised to review {issue} after thousands of people marched through {city} demanding relief from rising costs.",
            "{ORG} {on_day} threatened a nationwide strike over {issue}, saying negotiations with the government had reached a dead end.",
            "Residents of {city} {on_day} gathered outside municipal offices to protest against {issue}, as {P1} met community leaders.",
        ),
        context=(
            "Organisers said the city council had postponed a vote on {issue2} {day_earlier}, fuelling anger.",
            "{P2} said the government had ignored warnings about {issue} for years.",
            "Police said the march was largely peaceful, although several roads in central {city} were closed for hours.",
            "Community groups have set up food banks in several districts, reporting a sharp rise in demand.",
        ),
        background=(
            "{ORG} represents more than {num} members across the country and has organised several strikes in recent years.",
            "Rents in {city} rose {pct} {last_month} compared with a year earlier, according to property listings data.",
            "A government commission set up {last_year} to study {issue2} has yet to publish its report.",
            "The last major strike, {abs_date}, shut down bus services in three cities for a day.",
        ),
        figures=(
            "About {pct} of households in urban areas rent their homes, compared with {pct2} a decade ago.",
            "The government has set aside {amt} for social support programmes this year, reaching an estimated {num} families.",
        ),
        quotes=(
            "People are not asking for charity, they are asking for a fair deal",
            "We have waited for promises long enough, now we want dates",
            "No family in {city} should have to choose between rent and medicine",
            "The data is clear and so is the anger on the streets",
            "Our members keep this country moving and they deserve to be heard",
        ),
    ),
    "sport": SectionText(
        label="Sport",
        issues=(
            "the regional championship",
            "a bid to host the continental games",
            "the national league restructuring",
            "the qualifying campaign",
            "player transfer rules",
            "stadium upgrades",
            "a new youth academy",
        ),
        headlines=(
            "{P1s} hails ‘character’ as {c} edge {c2} in thriller",
            "{c} names squad for {issue}",
            "{oa} confirms {cap} as host for {issue}",
            "{P1s} names young squad as {c} prepare for {issue}",
            "{dem} fans celebrate as {c} reach final of {issue}",
        ),
        bullets=(
            "{c} beat {c2} in front of {num} fans",
            "{P1t} {P1s} says the squad is ready for {issue}",
            "{oa} to announce the fixture list next month",
            "Injury doubts remain over two senior players",
        ),
        leads=(
            "{c} {on_day} beat {c2} in front of a packed stadium in {city}, with {P1} praising the side’s resilience after they came from behind.",
            "{ORG} {on_day} confirmed {cap} as the venue for {issue}, ending months of speculation and a fierce contest with {c2}.",
            "{P1} {on_day} named a young squad for {issue}, leaving out several veterans who had been regulars for a decade.",
        ),
        context=(
            "The squad had trained behind closed doors {day_earlier}, with officials limiting access to the media.",
            "{P2} said the result showed that investment in youth football was paying off.",
            "Supporters travelled from across the country, with some arriving in {city} a full day before kick-off.",
            "The team will now turn its attention to {issue2}, which begins in the spring.",
        ),
        background=(
            "{ORG} has faced criticism over scheduling, with clubs complaining that players are overloaded.",
            "{c} last won the title {last_year}, when a late goal settled the final against {c2}.",
            "The squad had lost two of its previous three games, including a heavy defeat {last_month}.",
            "A friendly {abs_date} ended goalless, leaving questions about the side’s attacking options.",
        ),
        figures=(
            "Ticket sales reached {num}, organisers said, with revenue of about {amt}.",
            "The side has won {pct} of its games under its current coaching staff.",
        ),
        quotes=(
            "The boys showed character tonight and that cannot be coached",
            "We respect {c2}, but we came here to win and we did",
            "Hosting this event is a statement about what {c} can do",
            "Football is the one thing that unites everyone in {city}",
            "We have young players who are not afraid of the big stage",
        ),
    ),
    "health": SectionText(
        label="Health",
        issues=(
            "a measles vaccination drive",
            "hospital staffing shortages",
            "the price of essential medicines",
            "a dengue outbreak",
            "maternal health services",
            "the universal health card",
            "tuberculosis screening",
        ),
        headlines=(
            "{P1s} launches {issue} as cases climb",
            "{oa} warns of strain on clinics amid {issue}",
            "Doctors in {city} raise alarm over {issue}",
            "{c} and {c2} partner on {issue}",
            "Patients face long waits as {issue} deepens",
        ),
        bullets=(
            "{P1t} {P1s} says {num} health workers will be deployed",
            "{oa} reports a rise in cases in {city}",
            "Campaign to reach {pct} of children in target districts",
            "{c} receives supplies from {c2} worth {amt}",
        ),
        leads=(
            "{P1} {on_day} launched {issue}, saying teams would visit every district within a month to reach children who missed earlier rounds.",
            "Health authorities {on_day} reported a sharp rise in cases linked to {issue} in {city}, as {P1} called an emergency meeting of provincial officials.",
            "{c} {on_day} received medical supplies from {c2} to support {issue}, {P1} said at a handover ceremony in {cap}.",
        ),
        context=(
            "Officials had met {day_earlier} to agree on the allocation of vaccines and staff between provinces.",
            "{P2} said the health system had been underfunded for years and could not absorb new pressures.",
            "Hospitals in {city} have postponed non-urgent operations to free up beds, according to doctors there.",
            "Officials said {issue2} would also be reviewed as part of the response.",
        ),
        background=(
            "{ORG} has warned that gaps in routine immunisation left millions of children exposed during the pandemic years.",
            "Cases rose {pct} {last_month} compared with the same period a year earlier, according to surveillance data.",
            "The government increased health spending {last_year}, but it remains below the level recommended by international bodies.",
            "A similar campaign {abs_date} reached fewer children than planned because of heavy rain and staff shortages.",
        ),
        figures=(
            "The campaign is expected to cost {amt} and reach {num} children, the ministry said.",
            "About {pct} of posts for specialist doctors in public hospitals are vacant, official data shows.",
        ),
        quotes=(
            "No child in {c} should die of a disease we know how to prevent",
            "Our nurses and doctors are doing heroic work in impossible conditions",
            "We will go door to door if that is what it takes",
            "Prevention costs a fraction of treatment, and the data proves it",
            "The support from {c2} arrived when we needed it most",
        ),
    ),
}

# Paragraphs any section can use; they keep stories from reading like their section's template.
SHARED_CONTEXT: tuple[str, ...] = (
    "Analysts in {cap} said the timing reflected pressure on the government to show results before the next budget.",
    "The development drew a cautious response from business groups, who said they would study the details before commenting.",
    "Diplomats said {c2} had quietly encouraged the move during meetings earlier in the year.",
)
SHARED_BACKGROUND: tuple[str, ...] = (
    "Public debt in {c} has climbed to {pct2} of economic output, limiting what any government can promise.",
    "The issue has dominated talk shows and social media in {c} for weeks, with rival camps trading accusations.",
    "International partners, including {c2}, have linked further support to progress on governance and transparency.",
)
STATEMENT_FRAMES: tuple[str, ...] = (
    "“{q},” the statement said.",
    "“{q},” the ministry said in a statement.",
    "“{q},” according to a joint statement released in {cap}.",
    "“{q},” {ORG} said in a statement.",
)
SPEAKER_FRAMES: tuple[str, ...] = (
    "“{q},” {SPEAKER} said.",
    "“{q},” said {SPEAKER}.",
    "“{q},” {SPEAKER} told reporters in {cap}.",
)
FOLLOW_UPS: tuple[str, ...] = (
    "It added that further details would be announced after consultations with provincial governments.",
    "Officials did not say when the measures would take effect.",
    "The statement did not name the officials involved.",
)
CLOSERS: tuple[str, ...] = (
    "{P1} had briefed the cabinet on the plan {day_earlier}, officials said.",
    "A spokesperson for {ORG} said the body would issue a formal response in due course.",
    "The government said it would publish a timetable once consultations with {dem2} officials were complete.",
    "Further talks are planned in {cap2}, officials said, though no date has been set.",
)
EXPLAINER_LEADS: tuple[str, ...] = (
    "Few subjects divide opinion in {c} as sharply as {issue}, and the arguments on each side have barely changed in a decade.",
    "For most households in {city}, {issue} is not an abstract policy question but something felt every month.",
)
EXPLAINER_HEADLINES: tuple[str, ...] = (
    "Explainer: what {issue} means for {c}",
    "Explainer: the long argument over {issue}",
)
CAPTIONS: tuple[str, ...] = (
    "{P1t} {P1n} speaks during a news conference in {cap}, {c}, on {caption_date}. ({credit})",
    "{P1t} {P1n} arrives for a meeting in {cap} on {caption_date}. ({credit})",
    "People gather in {city}, {c}, on {caption_date}. ({credit})",
)
PHOTO_CREDITS: tuple[str, ...] = ("Meridian Wire", "File/Meridian Wire", "Supplied", "Staff photo")
