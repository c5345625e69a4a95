//! The deterministic seed: companies, contacts, deals across two pipelines, and notes, with
//! the "renewal risk for Acme" scenario on top.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::model::{AssociationKind, CrmObject, ObjectType, association_kind, inverse_kind, iso};
use crate::schema::{self, AT_RISK_STAGE, INDUSTRIES, RENEWALS_PIPELINE, SALES_PIPELINE};
use crate::state::{Edge, blank};

/// Every seeded timestamp is at or before this instant (2026-11-15T12:00:00Z).
pub fn seed_anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Id of "Acme Corp", the first seeded company.
pub const ACME_COMPANY_ID: u64 = 1001;
/// Seeded companies (Acme included).
pub const SEED_COMPANIES: usize = 32;
/// Seeded contacts.
pub const SEED_CONTACTS: usize = 220;
/// Seeded deals.
pub const SEED_DEALS: usize = 72;
/// Seeded notes.
pub const SEED_NOTES: usize = 96;

const COMPANY_NAMES: [&str; SEED_COMPANIES] = [
    "Acme Corp",
    "Globex Corporation",
    "Initech",
    "Umbrella Logistics",
    "Stark Industrial",
    "Wayne Shipping",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Cyberdyne Analytics",
    "Tyrell Biotech",
    "Wonka Confections",
    "Massive Dynamic",
    "Aperture Labs",
    "Oscorp Materials",
    "Pied Piper",
    "Dunder Paper",
    "Gekko Capital",
    "Nakatomi Trading",
    "Prestige Worldwide",
    "Sterling Cooper",
    "Bluth Homes",
    "Monarch Telecom",
    "Zenith Health",
    "Northwind Traders",
    "Contoso Retail",
    "Fabrikam Machinery",
    "Tailspin Education",
    "Litware Media",
    "Proseware",
    "Adatum Finance",
    "Woodgrove Bank",
];

const CITIES: [(&str, &str); 8] = [
    ("Boston", "United States"),
    ("Austin", "United States"),
    ("London", "United Kingdom"),
    ("Berlin", "Germany"),
    ("Dublin", "Ireland"),
    ("Toronto", "Canada"),
    ("Paris", "France"),
    ("Sydney", "Australia"),
];

const FIRST_NAMES: [&str; 24] = [
    "Alex", "Blair", "Casey", "Devon", "Emery", "Frankie", "Gale", "Harper", "Indra", "Jules",
    "Kai", "Logan", "Morgan", "Noor", "Oakley", "Parker", "Quinn", "Reese", "Sasha", "Taylor",
    "Uma", "Val", "Wren", "Yuki",
];

const LAST_NAMES: [&str; 19] = [
    "Anders", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Torres",
];

const JOB_TITLES: [&str; 8] = [
    "VP Sales",
    "Head of Operations",
    "CTO",
    "Procurement Manager",
    "Office Manager",
    "Engineering Lead",
    "Marketing Director",
    "Finance Analyst",
];

const PRODUCTS: [&str; 6] = [
    "Platform License",
    "Analytics Add-on",
    "Support Plan",
    "Onboarding Package",
    "Data Migration",
    "Team Expansion",
];

/// The Acme contacts: first, last, title.
const ACME_CONTACTS: [(&str, &str, &str); 6] = [
    ("Dana", "Whitfield", "VP Operations"),
    ("Marcus", "Lee", "CFO"),
    ("Priya", "Natarajan", "Director of IT"),
    ("Tom", "Becker", "Procurement Manager"),
    ("Elena", "Garcia", "Support Lead"),
    ("Sam", "O'Neill", "Platform Engineer"),
];

const NOTE_TEMPLATES: [&str; 8] = [
    "<p>Intro call with <strong>{name}</strong>. Interested in the {product}; follow up next week.</p>",
    "<p>Sent pricing for the {product} to {name}.</p><ul><li>Annual billing</li><li>Volume discount over 50 seats</li></ul>",
    "<p>{name} asked for a security questionnaire before moving forward.</p>",
    "<p>Quarterly check-in with {name}: usage is steady, no open issues.</p>",
    "<p>Demo of the {product} went well. {name} will loop in their finance team.</p>",
    "<p>Left a voicemail for {name} about the {product} renewal date.</p>",
    "<p>{name} reported a billing question; forwarded to <em>support</em>.</p>",
    "<p>Contract redlines received from {name}; legal review in progress.</p>",
];

/// The Acme notes, newest first: (days before the anchor, body, Acme contact index).
const ACME_NOTES: [(i64, &str, usize); 6] = [
    (
        1,
        "<p><strong>Renewal risk:</strong> Dana Whitfield confirmed she is leaving Acme at the end of the month. No replacement champion identified yet.</p>",
        0,
    ),
    (
        3,
        "<p>Marcus Lee (CFO) pushed back on the 12% price increase for the platform renewal and asked for a competitive quote.</p><ul><li>Budget frozen until Q1</li><li>Wants a 2-year lock</li></ul>",
        1,
    ),
    (
        6,
        "<p>Usage review: weekly active users at Acme are <strong>down 35%</strong> since September. Priya mentioned a pilot with a competitor.</p>",
        2,
    ),
    (
        9,
        "<p>Escalated support ticket about sync failures; Elena says the team is frustrated with response times.</p>",
        4,
    ),
    (
        12,
        "<p>Tom Becker requested the renewal paperwork early &amp; asked about termination terms.</p>",
        3,
    ),
    (
        14,
        "<p>QBR scheduled with Acme for next month to review adoption and the renewal plan.</p>",
        0,
    ),
];

/// Everything the seed produces.
#[derive(Debug)]
pub(crate) struct Seed {
    pub objects: BTreeMap<ObjectType, BTreeMap<u64, CrmObject>>,
    pub edges: BTreeSet<Edge>,
    pub next_id: u64,
}

/// A small deterministic generator (xorshift64*), so the seed never changes.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Debug)]
struct Builder {
    seed: Seed,
    rng: Rng,
}

impl Builder {
    fn add(
        &mut self,
        object_type: ObjectType,
        created: DateTime<Utc>,
        props: &[(&str, String)],
    ) -> u64 {
        let id = self.seed.next_id;
        self.seed.next_id += 1;
        let mut object = blank(object_type, id, created);
        for (name, value) in props {
            object.set(name, value.clone(), created, "CRM_UI");
        }
        self.seed
            .objects
            .get_mut(&object_type)
            .expect("table exists")
            .insert(id, object);
        id
    }

    fn object(&mut self, object_type: ObjectType, id: u64) -> &mut CrmObject {
        self.seed
            .objects
            .get_mut(&object_type)
            .and_then(|t| t.get_mut(&id))
            .expect("seeded object exists")
    }

    fn link(&mut self, type_id: u32, from: u64, to: u64) {
        let kind: &AssociationKind = association_kind(type_id).expect("known association type");
        let inverse = inverse_kind(kind);
        self.seed
            .edges
            .insert((kind.from, from, kind.to, to, kind.type_id));
        self.seed
            .edges
            .insert((kind.to, to, kind.from, from, inverse.type_id));
    }

    /// A deal walking its pipeline from the first stage to `stage_index`, one step every
    /// `step_days`, ending `days_ago` before the anchor.
    #[allow(clippy::too_many_arguments)]
    fn deal(
        &mut self,
        name: String,
        pipeline_id: &str,
        stage_index: usize,
        amount: u64,
        days_ago: i64,
        step_days: i64,
        extra: &[(&str, String)],
    ) -> u64 {
        let anchor = seed_anchor();
        let pipelines = schema::pipelines();
        let pipeline = pipelines
            .iter()
            .find(|p| p.id == pipeline_id)
            .expect("seeded pipeline");
        let stage = &pipeline.stages[stage_index];
        // Lost deals walk part of the way before dropping out.
        let walked: Vec<&str> = if stage.closed && stage.probability == 0.0 {
            let open = pipeline.stages.iter().filter(|s| !s.closed).count();
            pipeline.stages[..open.min(2)]
                .iter()
                .map(|s| s.id)
                .chain([stage.id])
                .collect()
        } else {
            pipeline.stages[..=stage_index]
                .iter()
                .map(|s| s.id)
                .collect()
        };
        let steps = walked.len() as i64;
        let created = anchor - Duration::days(days_ago + step_days * (steps - 1));
        let close = if stage.closed {
            anchor - Duration::days(days_ago)
        } else {
            anchor + Duration::days(30 + (amount % 60) as i64)
        };
        let mut props = vec![
            ("dealname", name),
            ("pipeline", pipeline_id.to_owned()),
            ("amount", amount.to_string()),
            ("closedate", iso(close)),
        ];
        props.extend(extra.iter().cloned());
        let id = self.add(ObjectType::Deals, created, &props);
        let deal = self.object(ObjectType::Deals, id);
        let mut at = created;
        for (i, stage_id) in walked.iter().enumerate() {
            if i > 0 {
                at += Duration::days(step_days);
            }
            deal.set("dealstage", (*stage_id).to_owned(), at, "CRM_UI");
        }
        deal.touch(at);
        id
    }

    fn note(&mut self, body: String, at: DateTime<Utc>) -> u64 {
        self.add(
            ObjectType::Notes,
            at,
            &[("hs_note_body", body), ("hs_timestamp", iso(at))],
        )
    }
}

fn domain_of(name: &str) -> String {
    let words: Vec<String> = name
        .split_whitespace()
        .filter(|w| !matches!(*w, "Corp" | "Corporation"))
        .map(|w| {
            w.to_lowercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        })
        .collect();
    format!("{}.com", words.join(""))
}

/// Builds the seed; the same on every call.
pub(crate) fn build() -> Seed {
    let anchor = seed_anchor();
    let mut b = Builder {
        seed: Seed {
            objects: ObjectType::ALL
                .into_iter()
                .map(|t| (t, BTreeMap::new()))
                .collect(),
            edges: BTreeSet::new(),
            next_id: ACME_COMPANY_ID,
        },
        rng: Rng(0x9E37_79B9_7F4A_7C15),
    };

    // Companies: Acme first, created over the past three years.
    let mut companies = Vec::new();
    for (i, name) in COMPANY_NAMES.iter().enumerate() {
        let (city, country) = CITIES[i % CITIES.len()];
        let industry = if i == 0 {
            "COMPUTER_SOFTWARE"
        } else {
            INDUSTRIES[i % INDUSTRIES.len()].0
        };
        let employees = 20 + (i as u64 * 137) % 4_000;
        let created = anchor - Duration::days(1_000 - i as i64 * 9);
        let id = b.add(
            ObjectType::Companies,
            created,
            &[
                ("name", (*name).to_owned()),
                ("domain", domain_of(name)),
                ("industry", industry.to_owned()),
                ("city", city.to_owned()),
                ("country", country.to_owned()),
                ("phone", format!("+1 555 01{:02}", i)),
                ("numberofemployees", employees.to_string()),
                ("annualrevenue", (employees * 185_000).to_string()),
                (
                    "lifecyclestage",
                    if i % 3 == 2 {
                        "opportunity"
                    } else {
                        "customer"
                    }
                    .to_owned(),
                ),
            ],
        );
        companies.push(id);
    }
    let acme = companies[0];
    b.object(ObjectType::Companies, acme).set(
        "description",
        "Long-time platform customer; renewal due in Q1.".to_owned(),
        anchor - Duration::days(200),
        "CRM_UI",
    );

    // Contacts: six at Acme, the rest spread over the other companies (every tenth without
    // a company).
    let mut contacts_of: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut emails = HashSet::new();
    let mut acme_contacts = Vec::new();
    for i in 0..SEED_CONTACTS {
        let created = anchor - Duration::hours(((SEED_CONTACTS - i) * 40) as i64);
        let (first, last, title, company) = if i < ACME_CONTACTS.len() {
            let (first, last, title) = ACME_CONTACTS[i];
            (first, last, title, Some(acme))
        } else {
            let first = FIRST_NAMES[i % FIRST_NAMES.len()];
            let last = LAST_NAMES[(i / FIRST_NAMES.len() + i) % LAST_NAMES.len()];
            let company = (i % 10 != 0).then(|| companies[1 + i % (SEED_COMPANIES - 1)]);
            (first, last, JOB_TITLES[i % JOB_TITLES.len()], company)
        };
        let domain = company.map_or_else(
            || "example.net".to_owned(),
            |id| domain_of(COMPANY_NAMES[(id - ACME_COMPANY_ID) as usize]),
        );
        let local = format!(
            "{}.{}",
            first.to_lowercase(),
            last.to_lowercase().replace('\'', "")
        );
        let mut email = format!("{local}@{domain}");
        let mut n = 2;
        while !emails.insert(email.clone()) {
            email = format!("{local}{n}@{domain}");
            n += 1;
        }
        let lifecycle = [
            "lead",
            "marketingqualifiedlead",
            "salesqualifiedlead",
            "opportunity",
            "customer",
            "subscriber",
        ][b.rng.below(6)];
        let lead_status = [
            "NEW",
            "OPEN",
            "IN_PROGRESS",
            "CONNECTED",
            "ATTEMPTED_TO_CONTACT",
            "BAD_TIMING",
        ][b.rng.below(6)];
        let (city, country) = CITIES[b.rng.below(CITIES.len())];
        let mut props = vec![
            ("email", email),
            ("firstname", first.to_owned()),
            ("lastname", last.to_owned()),
            ("jobtitle", title.to_owned()),
            ("phone", format!("+1 555 2{:03}", i)),
            ("city", city.to_owned()),
            ("country", country.to_owned()),
            (
                "lifecyclestage",
                if company == Some(acme) {
                    "customer"
                } else {
                    lifecycle
                }
                .to_owned(),
            ),
            ("hs_lead_status", lead_status.to_owned()),
        ];
        if let Some(company) = company {
            props.push((
                "company",
                COMPANY_NAMES[(company - ACME_COMPANY_ID) as usize].to_owned(),
            ));
        }
        let id = b.add(ObjectType::Contacts, created, &props);
        if let Some(company) = company {
            b.link(1, id, company);
            b.link(279, id, company);
            contacts_of.entry(company).or_default().push(id);
        }
        if company == Some(acme) {
            acme_contacts.push(id);
        }
    }

    // Deals: Acme's four, then the rest over the other companies.
    let acme_deals = [
        b.deal(
            "Acme Corp – Platform Renewal 2027".to_owned(),
            RENEWALS_PIPELINE,
            2,
            240_000,
            6,
            19,
            &[
                ("dealtype", "existingbusiness".to_owned()),
                ("hs_priority", "high".to_owned()),
                (
                    "description",
                    "Annual platform renewal. Champion leaving, usage down, pricing pushback."
                        .to_owned(),
                ),
            ],
        ),
        b.deal(
            "Acme Corp – Analytics Add-on".to_owned(),
            SALES_PIPELINE,
            2,
            48_000,
            10,
            12,
            &[
                ("dealtype", "existingbusiness".to_owned()),
                ("hs_priority", "medium".to_owned()),
            ],
        ),
        b.deal(
            "Acme Corp – Premium Support Upgrade".to_owned(),
            SALES_PIPELINE,
            4,
            18_000,
            4,
            8,
            &[
                ("dealtype", "existingbusiness".to_owned()),
                ("hs_priority", "low".to_owned()),
            ],
        ),
        b.deal(
            "Acme Corp – Initial Platform Deal".to_owned(),
            SALES_PIPELINE,
            5,
            200_000,
            400,
            14,
            &[("dealtype", "newbusiness".to_owned())],
        ),
    ];
    debug_assert_eq!(
        b.object(ObjectType::Deals, acme_deals[0]).get("dealstage"),
        Some(AT_RISK_STAGE)
    );
    for (n, deal) in acme_deals.iter().enumerate() {
        b.link(5, *deal, acme);
        b.link(341, *deal, acme);
        for contact in acme_contacts.iter().skip(n % 2).take(3) {
            b.link(3, *deal, *contact);
        }
    }
    let mut deals_of: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    deals_of.insert(acme, acme_deals.to_vec());
    for i in 0..SEED_DEALS - acme_deals.len() {
        let company = companies[1 + (i * 7) % (SEED_COMPANIES - 1)];
        let company_name = COMPANY_NAMES[(company - ACME_COMPANY_ID) as usize];
        let renewal = i % 3 == 0;
        let (pipeline, stages, name) = if renewal {
            (RENEWALS_PIPELINE, 5, format!("{company_name} – Renewal"))
        } else {
            (
                SALES_PIPELINE,
                7,
                format!("{company_name} – {}", PRODUCTS[i % PRODUCTS.len()]),
            )
        };
        let stage_index = b.rng.below(stages);
        let amount = 5_000 + b.rng.below(60) as u64 * 2_500;
        let days_ago = 1 + b.rng.below(200) as i64;
        let deal = b.deal(
            name,
            pipeline,
            stage_index,
            amount,
            days_ago,
            3 + (i % 9) as i64,
            &[(
                "dealtype",
                if renewal {
                    "existingbusiness"
                } else {
                    "newbusiness"
                }
                .to_owned(),
            )],
        );
        b.link(5, deal, company);
        b.link(341, deal, company);
        if let Some(people) = contacts_of.get(&company) {
            for contact in people.iter().take(1 + i % 2) {
                b.link(3, deal, *contact);
            }
        }
        deals_of.entry(company).or_default().push(deal);
    }

    // Notes: Acme's recent ones, then the rest on contacts with companies.
    for (days, body, who) in ACME_NOTES {
        let at = anchor - Duration::days(days) - Duration::hours(days % 5);
        let note = b.note(body.to_owned(), at);
        b.link(190, note, acme);
        b.link(202, note, acme_contacts[who]);
        b.link(214, note, acme_deals[0]);
    }
    let with_company: Vec<(u64, u64)> = contacts_of
        .iter()
        .filter(|(company, _)| **company != acme)
        .flat_map(|(company, people)| people.iter().map(move |p| (*p, *company)))
        .collect();
    for i in 0..SEED_NOTES - ACME_NOTES.len() {
        let (contact, company) = with_company[(i * 13) % with_company.len()];
        let person = b.object(ObjectType::Contacts, contact);
        let name = format!(
            "{} {}",
            person.get("firstname").unwrap_or_default(),
            person.get("lastname").unwrap_or_default()
        );
        let product = PRODUCTS[i % PRODUCTS.len()];
        let body = NOTE_TEMPLATES[i % NOTE_TEMPLATES.len()]
            .replace("{name}", &name)
            .replace("{product}", product);
        let at = anchor - Duration::hours(20 + (i as i64 * 53) % (24 * 300));
        let note = b.note(body, at);
        b.link(202, note, contact);
        b.link(190, note, company);
        if i % 2 == 0
            && let Some(deal) = deals_of.get(&company).and_then(|d| d.first())
        {
            b.link(214, note, *deal);
        }
    }
    b.seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_sized() {
        let a = build();
        let b = build();
        assert_eq!(a.objects, b.objects);
        assert_eq!(a.edges, b.edges);
        assert_eq!(a.objects[&ObjectType::Companies].len(), SEED_COMPANIES);
        assert_eq!(a.objects[&ObjectType::Contacts].len(), SEED_CONTACTS);
        assert_eq!(a.objects[&ObjectType::Deals].len(), SEED_DEALS);
        assert_eq!(a.objects[&ObjectType::Notes].len(), SEED_NOTES);
        assert_eq!(
            a.objects[&ObjectType::Companies][&ACME_COMPANY_ID].get("name"),
            Some("Acme Corp")
        );
    }

    #[test]
    fn seeded_values_pass_the_property_checks() {
        let seed = build();
        for (object_type, table) in &seed.objects {
            let defs = schema::properties(*object_type);
            for object in table.values() {
                for (name, value) in &object.properties {
                    let def = defs.iter().find(|d| d.name == name).unwrap_or_else(|| {
                        panic!("{object_type} {} has unknown property {name}", object.id)
                    });
                    if !def.read_only {
                        assert_eq!(
                            schema::check_value(def, value).as_ref(),
                            Ok(value),
                            "{object_type}.{name}"
                        );
                    }
                }
                if *object_type == ObjectType::Deals {
                    let pipeline = schema::pipelines()
                        .into_iter()
                        .find(|p| Some(p.id) == object.get("pipeline"))
                        .unwrap();
                    assert!(pipeline.stage(object.get("dealstage").unwrap()).is_some());
                }
            }
        }
    }
}
