//! The playbook and card model (F1.2–F1.4, F1.8) and its validation, shared by the editor
//! and the server. Validation names the field each message belongs to.
use crate::domain::MAX_NAME_CHARS;
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// Wait time bounds of a Live Chat card, in seconds (F1.4).
pub const MIN_WAIT_SECONDS: u32 = 10;
pub const MAX_WAIT_SECONDS: u32 = 3600;
/// The longest delay before the widget opens, in seconds.
pub const MAX_DELAY_SECONDS: u32 = 3600;
/// Limits that keep a playbook a reasonable size.
pub const MAX_CARDS: usize = 100;
pub const MAX_ANSWERS: usize = 10;
pub const MAX_ANSWER_CHARS: usize = 60;
pub const MAX_MESSAGE_CHARS: usize = 5000;
pub const MAX_RULES: usize = 50;
pub const MAX_SITES: usize = 50;

/// Who sees a card: everyone, or only the visitors a Qualification card routed to a branch.
/// A playbook's flow is one ordered list; the branches are the cards of each audience.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Everyone,
    Qualified,
    NotQualified,
}

impl Audience {
    pub const ALL: [Audience; 3] = [
        Audience::Everyone,
        Audience::Qualified,
        Audience::NotQualified,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Audience::Everyone => "Everyone",
            Audience::Qualified => "Qualified visitors",
            Audience::NotQualified => "Not qualified visitors",
        }
    }

    /// Whether a visitor qualified as `qualified` (None: not yet asked) meets a card of this
    /// audience.
    pub fn shows_to(self, qualified: Option<bool>) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Qualified => qualified == Some(true),
            Audience::NotQualified => qualified == Some(false),
        }
    }

    /// Whether a visitor could see cards of both audiences on one path.
    pub fn overlaps(self, other: Audience) -> bool {
        self == Audience::Everyone || other == Audience::Everyone || self == other
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureField {
    Name,
    Email,
    Phone,
    Organization,
    /// What the visitor wants to tell the company (a few lines).
    Message,
}

impl CaptureField {
    pub const ALL: [CaptureField; 5] = [
        CaptureField::Name,
        CaptureField::Email,
        CaptureField::Phone,
        CaptureField::Organization,
        CaptureField::Message,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CaptureField::Name => "Name",
            CaptureField::Email => "Email",
            CaptureField::Phone => "Phone",
            CaptureField::Organization => "Organization",
            CaptureField::Message => "Message",
        }
    }

    /// The key the value is saved under in the conversation's answers.
    pub fn key(self) -> &'static str {
        match self {
            CaptureField::Name => "name",
            CaptureField::Email => "email",
            CaptureField::Phone => "phone",
            CaptureField::Organization => "organization",
            CaptureField::Message => "message",
        }
    }

    /// Whether the company can answer the visitor with it.
    pub fn is_contact(self) -> bool {
        matches!(self, CaptureField::Email | CaptureField::Phone)
    }

    /// Whether a visitor may leave it empty on a card asking for `asked`: the organization
    /// and the message always, the phone when an email is asked too (one way to answer is
    /// enough; nobody should be turned away for not giving a phone number).
    pub fn optional_among(self, asked: &[CaptureField]) -> bool {
        match self {
            CaptureField::Organization | CaptureField::Message => true,
            CaptureField::Phone => asked.contains(&CaptureField::Email),
            CaptureField::Name | CaptureField::Email => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationAnswer {
    pub label: String,
    pub qualified: bool,
}

/// What the offline flow does with the prospect (F1.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineOutcome {
    #[default]
    Qualify,
    Reject,
}

/// Which CRM item the offline flow creates (F1.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmItem {
    Nothing,
    Activity,
    #[default]
    Lead,
    Deal,
}

impl CrmItem {
    pub const ALL: [CrmItem; 4] = [
        CrmItem::Nothing,
        CrmItem::Activity,
        CrmItem::Lead,
        CrmItem::Deal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CrmItem::Nothing => "Nothing",
            CrmItem::Activity => "An activity",
            CrmItem::Lead => "A lead",
            CrmItem::Deal => "A deal",
        }
    }
}

/// A card's content. Message texts are rich text (sanitized HTML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardBody {
    Message {
        text: String,
    },
    /// Quick-reply buttons (`answers`) or, with `free_text`, a typed answer; saved to `field`.
    Question {
        text: String,
        field: String,
        answers: Vec<String>,
        free_text: bool,
    },
    Qualification {
        text: String,
        answers: Vec<QualificationAnswer>,
    },
    Capture {
        text: String,
        fields: Vec<CaptureField>,
    },
    LiveChat {
        online_message: String,
        wait_seconds: u32,
        offline_message: String,
        offline_outcome: OfflineOutcome,
        offline_create: CrmItem,
    },
    End {
        text: String,
    },
}

impl CardBody {
    pub fn kind_label(&self) -> &'static str {
        match self {
            CardBody::Message { .. } => "Message",
            CardBody::Question { .. } => "Question",
            CardBody::Qualification { .. } => "Qualification",
            CardBody::Capture { .. } => "Capture",
            CardBody::LiveChat { .. } => "Live Chat",
            CardBody::End { .. } => "End",
        }
    }

    pub fn is_live_chat(&self) -> bool {
        matches!(self, CardBody::LiveChat { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Stable within the editor (a client-made id); the server keeps it.
    pub id: String,
    #[serde(default)]
    pub audience: Audience,
    pub body: CardBody,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOp {
    Contains,
    Equals,
    StartsWith,
}

impl RuleOp {
    pub const ALL: [RuleOp; 3] = [RuleOp::Contains, RuleOp::Equals, RuleOp::StartsWith];

    pub fn label(self) -> &'static str {
        match self {
            RuleOp::Contains => "Page URL contains",
            RuleOp::Equals => "Page URL equals",
            RuleOp::StartsWith => "Page URL starts with",
        }
    }
}

/// Which page URLs the playbook shows on; no rules means every page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRule {
    pub op: RuleOp,
    pub value: String,
}

impl TargetRule {
    pub fn matches(&self, url: &str) -> bool {
        match self.op {
            RuleOp::Contains => url.contains(&self.value),
            RuleOp::Equals => url == self.value,
            RuleOp::StartsWith => url.starts_with(&self.value),
        }
    }
}

/// Settings of a playbook (F1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookSettings {
    pub name: String,
    pub active: bool,
    pub bot_name: String,
    /// Id of an uploaded image, if any.
    pub avatar: Option<String>,
    /// `#rrggbb`.
    pub accent_color: String,
    pub rules: Vec<TargetRule>,
    pub delay_seconds: u32,
    /// Origins allowed to embed the widget (`https://example.com`); empty means any site.
    pub allowed_sites: Vec<String>,
}

impl Default for PlaybookSettings {
    fn default() -> Self {
        Self {
            name: "New playbook".into(),
            active: false,
            bot_name: "Chatbot".into(),
            avatar: None,
            accent_color: "#2f6fed".into(),
            rules: Vec::new(),
            delay_seconds: 0,
            allowed_sites: Vec::new(),
        }
    }
}

/// The "Live Chat" template: a greeting, then a Live Chat card whose offline branch asks for
/// the visitor's details and message, so nobody leaves without a way to be answered (F1.1).
/// The offline flow then confirms where the company will answer.
pub fn live_chat_template() -> (PlaybookSettings, Vec<Card>) {
    let settings = PlaybookSettings {
        name: "Website chat".into(),
        ..PlaybookSettings::default()
    };
    let cards = vec![
        Card {
            id: "greeting".into(),
            audience: Audience::Everyone,
            body: CardBody::Message {
                text: "<p>Hi there! 👋 How can we help you today?</p>".into(),
            },
        },
        Card {
            id: "live-chat".into(),
            audience: Audience::Everyone,
            body: CardBody::LiveChat {
                online_message: "<p>Thanks! One of our team will join this chat in a moment.</p>"
                    .into(),
                wait_seconds: 60,
                offline_message:
                    "<p>Sorry, nobody is available right now. Leave your details and we will get back to you.</p>"
                        .into(),
                offline_outcome: OfflineOutcome::Qualify,
                offline_create: CrmItem::Lead,
            },
        },
        Card {
            id: "offline-details".into(),
            audience: Audience::Everyone,
            body: CardBody::Capture {
                text: String::new(),
                fields: vec![
                    CaptureField::Name,
                    CaptureField::Email,
                    CaptureField::Phone,
                    CaptureField::Message,
                ],
            },
        },
    ];
    (settings, cards)
}

/// What the editor warns about (the flow still saves): `(card index, message)`.
/// - A Live Chat card whose offline flow never asks for an email or a phone: a visitor who
///   finds nobody online could not leave a way to be answered.
/// - A card after an End card on the same path: no visitor ever reaches it.
pub fn warnings(cards: &[Card]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        if let CardBody::LiveChat {
            offline_outcome, ..
        } = &card.body
        {
            // The offline flow qualifies or rejects the visitor before its cards.
            let offline = Some(*offline_outcome == OfflineOutcome::Qualify);
            let asks_contact = |c: &Card| matches!(&c.body, CardBody::Capture { fields, .. } if fields.iter().any(|f| f.is_contact()));
            let before = cards[..i]
                .iter()
                .any(|c| asks_contact(c) && c.audience.overlaps(card.audience));
            let after = cards[i + 1..]
                .iter()
                .any(|c| asks_contact(c) && c.audience.shows_to(offline));
            if !before && !after {
                out.push((
                    i,
                    "When nobody is online, this card's offline flow asks for no email or phone: \
                     add a Capture card after it, or the visitor cannot leave their details."
                        .to_string(),
                ));
            }
        }
        let ended = cards[..i].iter().any(|c| {
            matches!(c.body, CardBody::End { .. })
                && (c.audience == Audience::Everyone || c.audience == card.audience)
        });
        if ended {
            out.push((
                i,
                "This card comes after an End card: visitors never reach it. Move it above the End card."
                    .to_string(),
            ));
        }
    }
    out
}

fn check_text(field: String, text: &str, required: bool) -> Result<(), AppError> {
    if required && text.trim().is_empty() {
        return Err(AppError::validation(&field, "Write a message."));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::validation(
            &field,
            format!("Use at most {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    Ok(())
}

fn check_answer(field: String, label: &str) -> Result<(), AppError> {
    let n = label.trim().chars().count();
    if n == 0 {
        return Err(AppError::validation(&field, "An answer cannot be empty."));
    }
    if n > MAX_ANSWER_CHARS {
        return Err(AppError::validation(
            &field,
            format!("Use at most {MAX_ANSWER_CHARS} characters per answer."),
        ));
    }
    Ok(())
}

/// Is `value` a colour like `#1a2b3c`?
pub fn is_hex_color(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// Normalizes an allowed site to its origin (`https://example.com[:port]`), or says why not.
pub fn parse_site(raw: &str) -> Result<String, String> {
    let site = raw.trim().trim_end_matches('/').to_lowercase();
    let rest = site
        .strip_prefix("https://")
        .or_else(|| site.strip_prefix("http://"))
        .ok_or_else(|| "Start the site with https:// or http://.".to_string())?;
    let host_ok = !rest.is_empty()
        && !rest.contains('/')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok {
        return Err("Give a site like https://www.example.com, without a path.".into());
    }
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if host.is_empty() || !port_ok {
        return Err(
            "Give a site like https://www.example.com:8443, with a port from 1 to 65535.".into(),
        );
    }
    Ok(site)
}

/// Checks settings and flow together; the error names the first offending field
/// (`name`, `rules.2.value`, `cards.1.wait_seconds` …).
pub fn validate(settings: &PlaybookSettings, cards: &[Card]) -> Result<(), AppError> {
    let name = settings.name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "Give the playbook a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::validation(
            "name",
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    let bot = settings.bot_name.trim();
    if bot.is_empty() {
        return Err(AppError::validation("bot_name", "Give the chatbot a name."));
    }
    if bot.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::validation(
            "bot_name",
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if !is_hex_color(&settings.accent_color) {
        return Err(AppError::validation(
            "accent_color",
            "Use a colour like #2f6fed.",
        ));
    }
    if settings.delay_seconds > MAX_DELAY_SECONDS {
        return Err(AppError::validation(
            "delay_seconds",
            format!("Use a delay from 0 to {MAX_DELAY_SECONDS} seconds."),
        ));
    }
    if settings.rules.len() > MAX_RULES {
        return Err(AppError::validation(
            "rules",
            format!("Use at most {MAX_RULES} rules."),
        ));
    }
    for (i, rule) in settings.rules.iter().enumerate() {
        if rule.value.trim().is_empty() {
            return Err(AppError::validation(
                &format!("rules.{i}.value"),
                "Enter the URL text this rule looks for.",
            ));
        }
        if rule.value.chars().count() > 2000 {
            return Err(AppError::validation(
                &format!("rules.{i}.value"),
                "Use at most 2000 characters.",
            ));
        }
    }
    if settings.allowed_sites.len() > MAX_SITES {
        return Err(AppError::validation(
            "allowed_sites",
            format!("Use at most {MAX_SITES} sites."),
        ));
    }
    for (i, site) in settings.allowed_sites.iter().enumerate() {
        parse_site(site).map_err(|m| {
            let shown: String = site.trim().chars().take(60).collect();
            AppError::validation(
                &format!("allowed_sites.{i}"),
                format!("\u{201c}{shown}\u{201d}: {m}"),
            )
        })?;
    }
    if cards.len() > MAX_CARDS {
        return Err(AppError::validation(
            "cards",
            format!("Use at most {MAX_CARDS} cards."),
        ));
    }
    let mut live_chat_audiences: Vec<Audience> = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        let f = |name: &str| format!("cards.{i}.{name}");
        if card.id.is_empty() || card.id.len() > 64 {
            return Err(AppError::validation(&f("id"), "This card has no valid id."));
        }
        match &card.body {
            CardBody::Message { text } | CardBody::End { text } => check_text(
                f("text"),
                text,
                matches!(card.body, CardBody::Message { .. }),
            )?,
            CardBody::Question {
                text,
                field,
                answers,
                free_text,
            } => {
                check_text(f("text"), text, true)?;
                let key = field.trim();
                if key.is_empty()
                    || key.len() > 40
                    || !key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(AppError::validation(
                        &f("field"),
                        "Name the field the answer is saved to (letters, digits, _ or -).",
                    ));
                }
                if !free_text && answers.is_empty() {
                    return Err(AppError::validation(
                        &f("answers"),
                        "Add at least one answer, or allow a free-text answer.",
                    ));
                }
                if answers.len() > MAX_ANSWERS {
                    return Err(AppError::validation(
                        &f("answers"),
                        format!("Use at most {MAX_ANSWERS} answers."),
                    ));
                }
                for (j, a) in answers.iter().enumerate() {
                    check_answer(f(&format!("answers.{j}")), a)?;
                }
            }
            CardBody::Qualification { text, answers } => {
                check_text(f("text"), text, true)?;
                if answers.len() < 2 {
                    return Err(AppError::validation(
                        &f("answers"),
                        "Add at least two answers: one qualified, one not.",
                    ));
                }
                if answers.len() > MAX_ANSWERS {
                    return Err(AppError::validation(
                        &f("answers"),
                        format!("Use at most {MAX_ANSWERS} answers."),
                    ));
                }
                for (j, a) in answers.iter().enumerate() {
                    check_answer(f(&format!("answers.{j}")), &a.label)?;
                }
            }
            CardBody::Capture { text, fields } => {
                check_text(f("text"), text, false)?;
                if fields.is_empty() {
                    return Err(AppError::validation(
                        &f("fields"),
                        "Choose at least one detail to ask for.",
                    ));
                }
            }
            CardBody::LiveChat {
                online_message,
                wait_seconds,
                offline_message,
                ..
            } => {
                check_text(f("online_message"), online_message, true)?;
                check_text(f("offline_message"), offline_message, true)?;
                if !(MIN_WAIT_SECONDS..=MAX_WAIT_SECONDS).contains(wait_seconds) {
                    return Err(AppError::validation(
                        &f("wait_seconds"),
                        format!(
                            "Use a wait time from {MIN_WAIT_SECONDS} to {MAX_WAIT_SECONDS} seconds."
                        ),
                    ));
                }
                if live_chat_audiences
                    .iter()
                    .any(|a| a.overlaps(card.audience))
                {
                    return Err(AppError::validation(
                        &f("kind"),
                        "A visitor would meet two Live Chat cards on one path: keep one per path.",
                    ));
                }
                live_chat_audiences.push(card.audience);
            }
        }
    }
    let mut ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(AppError::validation("cards", "Two cards have the same id."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<(), AppError>) -> String {
        match r {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn card(id: &str, audience: Audience, body: CardBody) -> Card {
        Card {
            id: id.into(),
            audience,
            body,
        }
    }

    fn live_chat(wait: u32) -> CardBody {
        CardBody::LiveChat {
            online_message: "<p>on</p>".into(),
            wait_seconds: wait,
            offline_message: "<p>off</p>".into(),
            offline_outcome: OfflineOutcome::Qualify,
            offline_create: CrmItem::Lead,
        }
    }

    #[test]
    fn the_live_chat_template_is_valid_and_its_offline_flow_asks_for_details() {
        let (settings, cards) = live_chat_template();
        validate(&settings, &cards).unwrap();
        assert!(matches!(cards[0].body, CardBody::Message { .. }));
        assert!(
            matches!(
                cards[1].body,
                CardBody::LiveChat {
                    wait_seconds: 60,
                    ..
                }
            ),
            "a 60-second wait"
        );
        assert_eq!(
            cards[2].body,
            CardBody::Capture {
                text: String::new(),
                fields: vec![
                    CaptureField::Name,
                    CaptureField::Email,
                    CaptureField::Phone,
                    CaptureField::Message
                ],
            }
        );
        assert_eq!(warnings(&cards), vec![], "nothing to warn about");
    }

    #[test]
    fn warnings_name_a_live_chat_card_that_captures_nothing_and_cards_after_an_end() {
        let capture = |audience, fields| {
            card(
                "c",
                audience,
                CardBody::Capture {
                    text: String::new(),
                    fields,
                },
            )
        };
        let end = card("e", Audience::Everyone, CardBody::End { text: "".into() });
        // A Live Chat card alone: its offline flow leaves no way to answer the visitor.
        let w = warnings(&[card("l", Audience::Everyone, live_chat(60))]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, 0);
        assert!(w[0].1.contains("no email or phone"), "{w:?}");
        // A name alone is not a way to answer; an email before or a phone after is.
        let name_only = warnings(&[
            card("l", Audience::Everyone, live_chat(60)),
            capture(Audience::Everyone, vec![CaptureField::Name]),
        ]);
        assert_eq!(name_only.len(), 1);
        assert!(warnings(&[
            capture(Audience::Everyone, vec![CaptureField::Email]),
            card("l", Audience::Everyone, live_chat(60)),
        ])
        .is_empty());
        assert!(warnings(&[
            card("l", Audience::Everyone, live_chat(60)),
            capture(Audience::Qualified, vec![CaptureField::Phone]),
        ])
        .is_empty());
        // The offline flow qualifies (the template's default): a card for the not qualified
        // never shows.
        assert_eq!(
            warnings(&[
                card("l", Audience::Everyone, live_chat(60)),
                capture(Audience::NotQualified, vec![CaptureField::Phone]),
            ])
            .len(),
            1
        );
        // Cards after an End card of the same path.
        let (_, template) = live_chat_template();
        let mut cards = vec![end.clone()];
        cards.extend(template.clone());
        let w = warnings(&cards);
        let after_end: Vec<usize> = w
            .iter()
            .filter(|(_, m)| m.contains("after an End card"))
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(after_end, [1, 2, 3]);
        let mut branch = template;
        branch.push(card(
            "e2",
            Audience::NotQualified,
            CardBody::End { text: "".into() },
        ));
        branch.push(card(
            "q",
            Audience::Qualified,
            CardBody::Message {
                text: "<p>x</p>".into(),
            },
        ));
        assert!(warnings(&branch).is_empty(), "another branch's End");
    }

    #[test]
    fn settings_rejections_name_their_field() {
        let (ok, cards) = live_chat_template();
        let cases: Vec<(PlaybookSettings, &str)> = vec![
            (
                PlaybookSettings {
                    name: "  ".into(),
                    ..ok.clone()
                },
                "name",
            ),
            (
                PlaybookSettings {
                    name: "n".repeat(101),
                    ..ok.clone()
                },
                "name",
            ),
            (
                PlaybookSettings {
                    bot_name: "".into(),
                    ..ok.clone()
                },
                "bot_name",
            ),
            (
                PlaybookSettings {
                    accent_color: "blue".into(),
                    ..ok.clone()
                },
                "accent_color",
            ),
            (
                PlaybookSettings {
                    accent_color: "#12345g".into(),
                    ..ok.clone()
                },
                "accent_color",
            ),
            (
                PlaybookSettings {
                    delay_seconds: 3601,
                    ..ok.clone()
                },
                "delay_seconds",
            ),
            (
                PlaybookSettings {
                    rules: vec![
                        TargetRule {
                            op: RuleOp::Contains,
                            value: "/pricing".into(),
                        },
                        TargetRule {
                            op: RuleOp::Equals,
                            value: " ".into(),
                        },
                    ],
                    ..ok.clone()
                },
                "rules.1.value",
            ),
            (
                PlaybookSettings {
                    allowed_sites: vec!["example.com".into()],
                    ..ok.clone()
                },
                "allowed_sites.0",
            ),
            (
                PlaybookSettings {
                    allowed_sites: vec!["https://example.com/path".into()],
                    ..ok.clone()
                },
                "allowed_sites.0",
            ),
        ];
        for (settings, field) in cases {
            assert_eq!(field_of(validate(&settings, &cards)), field);
        }
    }

    #[test]
    fn card_rejections_name_their_field() {
        let (s, _) = live_chat_template();
        let question = |answers: Vec<&str>, free_text: bool| CardBody::Question {
            text: "<p>Which plan?</p>".into(),
            field: "plan".into(),
            answers: answers.into_iter().map(String::from).collect(),
            free_text,
        };
        let cases: Vec<(Vec<Card>, &str)> = vec![
            (
                vec![card("a", Audience::Everyone, live_chat(9))],
                "cards.0.wait_seconds",
            ),
            (
                vec![card("a", Audience::Everyone, live_chat(3601))],
                "cards.0.wait_seconds",
            ),
            (
                vec![card("a", Audience::Everyone, question(vec![], false))],
                "cards.0.answers",
            ),
            (
                vec![card(
                    "a",
                    Audience::Everyone,
                    question(vec!["ok", " "], false),
                )],
                "cards.0.answers.1",
            ),
            (
                vec![card(
                    "a",
                    Audience::Everyone,
                    CardBody::Message { text: " ".into() },
                )],
                "cards.0.text",
            ),
            (
                vec![card(
                    "a",
                    Audience::Everyone,
                    CardBody::Qualification {
                        text: "<p>Budget?</p>".into(),
                        answers: vec![QualificationAnswer {
                            label: "Big".into(),
                            qualified: true,
                        }],
                    },
                )],
                "cards.0.answers",
            ),
            (
                vec![card(
                    "a",
                    Audience::Everyone,
                    CardBody::Capture {
                        text: "".into(),
                        fields: vec![],
                    },
                )],
                "cards.0.fields",
            ),
            // Two Live Chat cards a visitor could meet on one path.
            (
                vec![
                    card("a", Audience::Everyone, live_chat(60)),
                    card("b", Audience::Everyone, live_chat(60)),
                ],
                "cards.1.kind",
            ),
            (
                vec![
                    card("a", Audience::Qualified, live_chat(60)),
                    card("b", Audience::Everyone, live_chat(60)),
                ],
                "cards.1.kind",
            ),
            (
                vec![
                    card("a", Audience::Everyone, CardBody::End { text: "".into() }),
                    card("a", Audience::Everyone, CardBody::End { text: "".into() }),
                ],
                "cards",
            ),
        ];
        for (cards, field) in cases {
            assert_eq!(field_of(validate(&s, &cards)), field, "{cards:?}");
        }
    }

    #[test]
    fn one_live_chat_card_per_branch_is_allowed() {
        let (s, _) = live_chat_template();
        let cards = vec![
            card(
                "q",
                Audience::Everyone,
                CardBody::Qualification {
                    text: "<p>Budget?</p>".into(),
                    answers: vec![
                        QualificationAnswer {
                            label: "Over 10k".into(),
                            qualified: true,
                        },
                        QualificationAnswer {
                            label: "Less".into(),
                            qualified: false,
                        },
                    ],
                },
            ),
            card("a", Audience::Qualified, live_chat(60)),
            card("b", Audience::NotQualified, live_chat(30)),
        ];
        validate(&s, &cards).unwrap();
        // A free-text question needs no quick replies.
        let free = vec![card(
            "f",
            Audience::Everyone,
            CardBody::Question {
                text: "<p>Your goal?</p>".into(),
                field: "goal".into(),
                answers: vec![],
                free_text: true,
            },
        )];
        validate(&s, &free).unwrap();
    }

    #[test]
    fn sites_are_normalized_to_origins() {
        assert_eq!(
            parse_site(" HTTPS://Shop.Example.com/ ").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            parse_site("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        assert!(parse_site("ftp://example.com").is_err());
        assert!(parse_site("https://").is_err());
        assert!(parse_site("https://exa mple.com").is_err());
        // A port is a real port.
        assert!(parse_site("https://a.example:8443").is_ok());
        for bad in [
            "https://a.example:99999",
            "https://a.example:0",
            "https://a.example:",
            "https://:80",
        ] {
            assert!(parse_site(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn targeting_rules_match_urls() {
        let url = "https://shop.example.com/pricing?x=1";
        assert!(TargetRule {
            op: RuleOp::Contains,
            value: "/pricing".into()
        }
        .matches(url));
        assert!(TargetRule {
            op: RuleOp::StartsWith,
            value: "https://shop.".into()
        }
        .matches(url));
        assert!(!TargetRule {
            op: RuleOp::Equals,
            value: "https://shop.example.com/pricing".into()
        }
        .matches(url));
    }

    #[test]
    fn cards_round_trip_through_json() {
        let (_, cards) = live_chat_template();
        let json = serde_json::to_string(&cards).unwrap();
        assert!(json.contains("\"kind\":\"live_chat\""));
        let back: Vec<Card> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cards);
    }
}
