//! The counselling prompt: a gentle suggestion to talk with a couples
//! therapist when the couple seem stuck — the same topic keeps coming back, a
//! partner keeps feeling unheard, or pain stays high for weeks. It names what
//! it noticed and never labels either partner or the relationship.
//!
//! Safety first: when the *viewer's own* feeling of safety has stayed low,
//! the viewer's device shows a different prompt, which names individual and
//! safety support first and does not advise couples counselling (it is
//! contraindicated where someone is unsafe). It is worked out per viewer,
//! and the other partner's safety scores are never read for it: a partner
//! cannot learn from their own phone that the other was pointed to support,
//! and nothing on the other's phone changes because of it.
//!
//! Every sentence comes from the Fluent catalog (`core/locales/*/counselling.ftl`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::i18n::{Arg, Messages};
use crate::model::Snapshot;
use crate::views::days::{DayRange, add_days, iso_week_start, parse_day};
use crate::views::span::Span;
use crate::views::trends::{WeeklyBand, weekly_bands};

/// Questions sharing one topic that count as "keeps coming back".
pub const TOPIC_REPEAT_MIN: usize = 3;
/// The days looked back over for a returning question topic (8 weeks).
pub const TOPIC_WINDOW_DAYS: i64 = 56;
/// Triggers with the same wording that count as "keeps coming back".
pub const TRIGGER_REPEAT_MIN: usize = 3;
/// The days looked back over for returning triggers (4 weeks).
pub const TRIGGER_WINDOW_DAYS: i64 = 28;
/// A `heard` score at or below this is "did not feel listened to".
pub const UNHEARD_SCORE_MAX: u8 = 3;
/// Check-ins feeling unheard, by one member, that raise the prompt.
pub const UNHEARD_MIN_CHECKINS: usize = 3;
/// The days looked back over for feeling unheard.
pub const UNHEARD_WINDOW_DAYS: i64 = 14;
/// A weekly median safety or trust at or below this counts as a painful week.
pub const PAIN_SCORE_MAX: f32 = 3.0;
/// Painful weeks in a row (among weeks with check-ins) that raise the prompt.
pub const PAIN_MIN_WEEKS: usize = 3;
/// The latest painful week must be this week or within this many weeks before it.
pub const PAIN_RECENT_WEEKS: i64 = 1;

/// The catalog id of the couples prompt's message; see `docs/views.md`.
pub const PROMPT_MESSAGE_ID: &str = "counselling-message";
/// The catalog id of the safety-first prompt's message.
pub const SAFETY_MESSAGE_ID: &str = "counselling-safety-message";

/// Which prompt it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// The couple seem stuck: a couples therapist may help.
    CouplesCounselling,
    /// The viewer's own feeling of safety stayed low: individual and safety
    /// support first, and no couples counselling for now.
    SafetyFirst,
}

/// A kind of support the safety-first prompt names, in the order shown.
/// Deliberately no phone numbers or named services: they differ by country,
/// and an app that knows the user's region supplies them in its catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// An individual counsellor or therapist, for the viewer alone.
    IndividualCounsellor,
    /// A domestic-abuse or family-violence support service in their area.
    SupportService,
    /// The local emergency number, for danger now.
    EmergencyServices,
    /// A friend or family member they trust.
    TrustedPerson,
}

impl ResourceKind {
    /// The order the safety-first prompt names them in: individual support first.
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::IndividualCounsellor,
        ResourceKind::SupportService,
        ResourceKind::EmergencyServices,
        ResourceKind::TrustedPerson,
    ];

    /// Its message id in the catalog.
    pub fn message_id(self) -> &'static str {
        match self {
            ResourceKind::IndividualCounsellor => "counselling-resource-individual",
            ResourceKind::SupportService => "counselling-resource-support-service",
            ResourceKind::EmergencyServices => "counselling-resource-emergency",
            ResourceKind::TrustedPerson => "counselling-resource-trusted-person",
        }
    }
}

/// One kind of support, with its text from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportResource {
    pub kind: ResourceKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Safety,
    Trust,
}

/// What was noticed, with the facts an app may want to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonKind {
    /// Several questions share one topic.
    TopicReturns { topic: String, questions: u32 },
    /// Several triggers name the same moment.
    TriggerReturns { what: String, triggers: u32 },
    /// A partner answered "did you feel listened to?" low several times.
    FeelingUnheard { member: String, checkins: u32 },
    /// A partner's weekly safety or trust stayed low several weeks running.
    PainStaysHigh {
        member: String,
        measure: Measure,
        weeks: u32,
        latest_week: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounsellingReason {
    pub reason: ReasonKind,
    /// One plain sentence describing what was noticed.
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounsellingPrompt {
    pub kind: PromptKind,
    /// The suggestion itself, from the catalog (`PROMPT_MESSAGE_ID` or
    /// `SAFETY_MESSAGE_ID`).
    pub message: String,
    /// Why it was raised; never empty. In a safety-first prompt the
    /// viewer's own safety comes first.
    pub reasons: Vec<CounsellingReason>,
    /// Support to name, in order (individual support first); empty for the
    /// couples prompt.
    pub resources: Vec<SupportResource>,
    /// Whether the prompt suggests couples counselling: never while the
    /// viewer feels unsafe.
    pub couples_counselling_advised: bool,
}

/// The prompt as `viewer` (a member id) sees it on their own device, in
/// English, when at least one reason holds on `today`; `None` otherwise
/// (and for an unreadable `today`). See [`counselling_prompt_in`].
pub fn counselling_prompt(
    snapshot: &Snapshot,
    today: &str,
    viewer: &str,
) -> Option<CounsellingPrompt> {
    counselling_prompt_in(snapshot, today, viewer, &Messages::english())
}

/// The prompt as `viewer` sees it, in the words of `messages`.
///
/// Safety is judged for the viewer alone: the viewer's own low safety makes
/// it a safety-first prompt, and the other partner's safety scores are not
/// read at all, so the result for one viewer is the same whatever the
/// other's safety. Trust, feeling unheard and returning topics or triggers
/// count for both partners, on both devices.
pub fn counselling_prompt_in(
    snapshot: &Snapshot,
    today: &str,
    viewer: &str,
    messages: &Messages,
) -> Option<CounsellingPrompt> {
    counselling_prompt_from(snapshot, &weekly_bands(snapshot), today, viewer, messages)
}

/// [`counselling_prompt_in`] with the snapshot's weekly bands already at
/// hand (a device keeps them with its read model).
pub fn counselling_prompt_from(
    snapshot: &Snapshot,
    bands: &[WeeklyBand],
    today: &str,
    viewer: &str,
    messages: &Messages,
) -> Option<CounsellingPrompt> {
    prompt_in(&Span::bare(snapshot), bands, today, viewer, messages)
}

/// [`counselling_prompt_from`] over `span`: with the read model's index,
/// the check-ins of the windows it looks at, not of the history.
pub(crate) fn prompt_in(
    span: &Span<'_>,
    bands: &[WeeklyBand],
    today: &str,
    viewer: &str,
    messages: &Messages,
) -> Option<CounsellingPrompt> {
    let snapshot = span.s;
    let today = parse_day(today)?;
    let mut reasons = Vec::new();
    let earliest_recent_week = add_days(iso_week_start(today), -7 * PAIN_RECENT_WEEKS)?;
    // Ordered by member, then week.
    // The viewer's own safety first: it changes what the prompt says.
    reasons.extend(pain_stays_high(
        snapshot,
        bands,
        earliest_recent_week,
        Measure::Safety,
        Some(viewer),
        messages,
    ));
    let safety_first = !reasons.is_empty();
    reasons.extend(returning_topics(
        snapshot,
        DayRange::ending(today, TOPIC_WINDOW_DAYS)?,
        messages,
    ));
    reasons.extend(returning_triggers(
        snapshot,
        DayRange::ending(today, TRIGGER_WINDOW_DAYS)?,
        messages,
    ));
    reasons.extend(feeling_unheard(
        span,
        DayRange::ending(today, UNHEARD_WINDOW_DAYS)?,
        messages,
    ));
    reasons.extend(pain_stays_high(
        snapshot,
        bands,
        earliest_recent_week,
        Measure::Trust,
        None,
        messages,
    ));
    if reasons.is_empty() {
        return None;
    }
    Some(if safety_first {
        CounsellingPrompt {
            kind: PromptKind::SafetyFirst,
            message: messages.get(SAFETY_MESSAGE_ID, &[]),
            reasons,
            resources: ResourceKind::ALL
                .into_iter()
                .map(|kind| SupportResource {
                    kind,
                    text: messages.get(kind.message_id(), &[]),
                })
                .collect(),
            couples_counselling_advised: false,
        }
    } else {
        CounsellingPrompt {
            kind: PromptKind::CouplesCounselling,
            message: messages.get(PROMPT_MESSAGE_ID, &[]),
            reasons,
            resources: Vec::new(),
            couples_counselling_advised: true,
        }
    })
}

/// Lowercase words with punctuation dropped and spaces collapsed, so
/// "The song." and "the  song" are the same.
fn normalise(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    cleaned
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn name_of(snapshot: &Snapshot, member: &str, messages: &Messages) -> String {
    snapshot
        .members
        .iter()
        .find(|m| m.id == member)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| messages.get("counselling-someone", &[]))
}

/// A window of days as the whole weeks the sentences name.
fn weeks(days: i64) -> Arg<'static> {
    Arg::Number((days / 7).unsigned_abs())
}

/// Groups `(key, at, shown)` items by key and keeps the groups of at least
/// `min`, each with its size and the wording of its latest item.
fn repeated<'a>(
    items: impl Iterator<Item = (String, i64, &'a str)>,
    min: usize,
) -> Vec<(String, usize)> {
    let mut groups: BTreeMap<String, (usize, i64, &str)> = BTreeMap::new();
    for (key, at, shown) in items {
        if key.is_empty() {
            continue;
        }
        let g = groups.entry(key).or_insert((0, i64::MIN, shown));
        g.0 += 1;
        if at >= g.1 {
            g.1 = at;
            g.2 = shown;
        }
    }
    groups
        .into_values()
        .filter(|(n, _, _)| *n >= min)
        .map(|(n, _, shown)| (shown.split_whitespace().collect::<Vec<_>>().join(" "), n))
        .collect()
}

fn returning_topics(
    snapshot: &Snapshot,
    range: DayRange,
    messages: &Messages,
) -> Vec<CounsellingReason> {
    let items = snapshot
        .questions
        .iter()
        .filter(|q| range.contains_millis(q.at))
        .filter_map(|q| q.topic.as_deref().map(|t| (normalise(t), q.at, t)));
    repeated(items, TOPIC_REPEAT_MIN)
        .into_iter()
        .map(|(topic, n)| CounsellingReason {
            sentence: messages.get(
                "counselling-reason-topic",
                &[
                    ("topic", Arg::Text(&topic)),
                    ("count", Arg::Number(n as u64)),
                    ("window_weeks", weeks(TOPIC_WINDOW_DAYS)),
                ],
            ),
            reason: ReasonKind::TopicReturns {
                topic,
                questions: n as u32,
            },
        })
        .collect()
}

fn returning_triggers(
    snapshot: &Snapshot,
    range: DayRange,
    messages: &Messages,
) -> Vec<CounsellingReason> {
    let items = snapshot
        .triggers
        .iter()
        .filter(|t| range.contains_millis(t.at))
        .map(|t| (normalise(&t.what), t.at, t.what.as_str()));
    repeated(items, TRIGGER_REPEAT_MIN)
        .into_iter()
        .map(|(what, n)| CounsellingReason {
            sentence: messages.get(
                "counselling-reason-trigger",
                &[
                    ("what", Arg::Text(&what)),
                    ("count", Arg::Number(n as u64)),
                    ("window_weeks", weeks(TRIGGER_WINDOW_DAYS)),
                ],
            ),
            reason: ReasonKind::TriggerReturns {
                what,
                triggers: n as u32,
            },
        })
        .collect()
}

fn feeling_unheard(
    span: &Span<'_>,
    range: DayRange,
    messages: &Messages,
) -> Vec<CounsellingReason> {
    let snapshot = span.s;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in span.checkins(range, None) {
        if c.heard.is_some_and(|h| h <= UNHEARD_SCORE_MAX) {
            *counts.entry(c.author.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= UNHEARD_MIN_CHECKINS)
        .map(|(member, n)| CounsellingReason {
            sentence: messages.get(
                "counselling-reason-unheard",
                &[
                    ("name", Arg::Text(&name_of(snapshot, member, messages))),
                    ("count", Arg::Number(n as u64)),
                    ("window_weeks", weeks(UNHEARD_WINDOW_DAYS)),
                ],
            ),
            reason: ReasonKind::FeelingUnheard {
                member: member.to_owned(),
                checkins: n as u32,
            },
        })
        .collect()
}

/// Runs of low weekly medians of `measure`, for `only` that member when
/// given (the bands of every other member are skipped unread), else for all.
fn pain_stays_high(
    snapshot: &Snapshot,
    bands: &[WeeklyBand],
    earliest_recent_week: jiff::civil::Date,
    measure: Measure,
    only: Option<&str>,
    messages: &Messages,
) -> Vec<CounsellingReason> {
    let mut reasons = Vec::new();
    {
        let mut run: Vec<&WeeklyBand> = Vec::new();
        let mut flush = |run: &mut Vec<&WeeklyBand>| {
            if let Some(last) = run.last()
                && run.len() >= PAIN_MIN_WEEKS
                && parse_day(&last.week_start).is_some_and(|w| w >= earliest_recent_week)
            {
                let max = Arg::Number(PAIN_SCORE_MAX as u64);
                let weeks = Arg::Number(run.len() as u64);
                let sentence = if only.is_some() && measure == Measure::Safety {
                    // Only ever shown to the member it is about.
                    messages.get(
                        "counselling-reason-own-safety",
                        &[("max", max), ("weeks", weeks)],
                    )
                } else {
                    let what = messages.get(
                        match measure {
                            Measure::Safety => "counselling-measure-safety",
                            Measure::Trust => "counselling-measure-trust",
                        },
                        &[],
                    );
                    messages.get(
                        "counselling-reason-pain",
                        &[
                            (
                                "name",
                                Arg::Text(&name_of(snapshot, &last.member, messages)),
                            ),
                            ("measure", Arg::Text(&what)),
                            ("max", max),
                            ("weeks", weeks),
                        ],
                    )
                };
                reasons.push(CounsellingReason {
                    sentence,
                    reason: ReasonKind::PainStaysHigh {
                        member: last.member.clone(),
                        measure,
                        weeks: run.len() as u32,
                        latest_week: last.week.clone(),
                    },
                });
            }
            run.clear();
        };
        for band in bands
            .iter()
            .filter(|b| only.is_none_or(|member| b.member == member))
        {
            if run.last().is_some_and(|prev| prev.member != band.member) {
                flush(&mut run);
            }
            let median = match measure {
                Measure::Safety => band.safety.median,
                Measure::Trust => band.trust.median,
            };
            if median <= PAIN_SCORE_MAX {
                run.push(band);
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    const TODAY: &str = "2026-11-28"; // a Saturday in 2026-W48

    /// The prompt as each partner's device shows it.
    fn both(s: &Snapshot) -> [Option<CounsellingPrompt>; 2] {
        [
            counselling_prompt(s, TODAY, ANA),
            counselling_prompt(s, TODAY, BEN),
        ]
    }

    /// The reasons, the same on both devices (nothing here is about safety).
    fn reasons(s: &Snapshot) -> Vec<ReasonKind> {
        let [ana, ben] = both(s);
        assert_eq!(ana, ben, "both partners see the same prompt");
        ana.map(|p| p.reasons.into_iter().map(|r| r.reason).collect())
            .unwrap_or_default()
    }

    fn none(s: &Snapshot) -> bool {
        both(s) == [None, None]
    }

    #[test]
    fn no_prompt_without_data() {
        assert!(none(&Snapshot::default()));
        assert!(none(&couple()));
    }

    #[test]
    fn a_returning_topic_raises_it_and_two_do_not() {
        let mut s = couple();
        s.questions.push(question(
            "q1",
            ANA,
            "2026-10-10",
            "Did you go there together?",
            Some("Trips"),
        ));
        s.questions.push(question(
            "q2",
            ANA,
            "2026-11-02",
            "Which hotel?",
            Some("trips "),
        ));
        s.questions.push(question(
            "q3",
            ANA,
            "2026-11-02",
            "Why then?",
            Some("timing"),
        ));
        assert!(none(&s));
        s.questions.push(question(
            "q4",
            ANA,
            "2026-11-20",
            "Was it the same weekend?",
            Some("TRIPS"),
        ));
        assert_eq!(
            reasons(&s),
            vec![ReasonKind::TopicReturns {
                topic: "TRIPS".into(),
                questions: 3
            }]
        );
        let prompt = counselling_prompt(&s, TODAY, ANA).unwrap();
        assert_eq!(prompt.kind, PromptKind::CouplesCounselling);
        assert!(prompt.couples_counselling_advised && prompt.resources.is_empty());
        assert_eq!(
            prompt.reasons[0].sentence,
            "The topic \u{201c}TRIPS\u{201d} has come up in 3 questions over the last 8 weeks."
        );
        // Older than eight weeks: out of the window.
        s.questions[0].at = ms("2026-10-02");
        assert!(none(&s));
    }

    #[test]
    fn a_returning_trigger_raises_it() {
        let mut s = couple();
        s.triggers.push(trigger(
            "t1",
            ANA,
            "2026-11-03",
            "That song on the radio",
            7,
        ));
        s.triggers.push(trigger(
            "t2",
            ANA,
            "2026-11-10",
            "that song on the radio.",
            6,
        ));
        assert!(none(&s));
        s.triggers.push(trigger(
            "t3",
            ANA,
            "2026-11-20",
            "That  song on the Radio",
            8,
        ));
        s.triggers.push(trigger(
            "t0",
            ANA,
            "2026-10-20",
            "That song on the radio",
            8,
        )); // too old
        assert_eq!(
            reasons(&s),
            vec![ReasonKind::TriggerReturns {
                what: "That song on the Radio".into(),
                triggers: 3
            }]
        );
    }

    #[test]
    fn feeling_unheard_three_times_in_two_weeks_raises_it() {
        let mut s = couple();
        s.checkins
            .push(heard(checkin("c1", ANA, "2026-11-16", 5, 5, 5), 2));
        s.checkins
            .push(heard(checkin("c2", ANA, "2026-11-20", 5, 5, 5), 3));
        s.checkins
            .push(heard(checkin("c3", ANA, "2026-11-22", 5, 5, 5), 4)); // not low enough
        s.checkins
            .push(heard(checkin("c4", BEN, "2026-11-22", 5, 5, 5), 1)); // another member
        s.checkins
            .push(heard(checkin("c5", ANA, "2026-11-14", 5, 5, 5), 1)); // 15 days back
        assert!(none(&s));
        s.checkins
            .push(heard(checkin("c6", ANA, "2026-11-28", 5, 5, 5), 0));
        assert_eq!(
            reasons(&s),
            vec![ReasonKind::FeelingUnheard {
                member: ANA.into(),
                checkins: 3
            }]
        );
        let prompt = counselling_prompt(&s, TODAY, BEN).unwrap();
        assert!(
            prompt.reasons[0]
                .sentence
                .starts_with("Ana has said in 3 check-ins over the last 2 weeks")
        );
    }

    #[test]
    fn pain_high_for_three_recent_weeks_raises_it_and_skipped_weeks_do_not_break_the_run() {
        let mut s = couple();
        s.checkins.push(checkin("c1", BEN, "2026-11-03", 6, 2, 5)); // W45
        s.checkins.push(checkin("c2", BEN, "2026-11-05", 6, 4, 5)); // W45 median 3
        // W46 skipped: absent, not a break.
        s.checkins.push(checkin("c3", BEN, "2026-11-18", 7, 3, 5)); // W47
        assert!(none(&s), "two painful weeks are below the threshold");
        s.checkins.push(checkin("c4", BEN, "2026-11-24", 7, 1, 5)); // W48
        assert_eq!(
            reasons(&s),
            vec![ReasonKind::PainStaysHigh {
                member: BEN.into(),
                measure: Measure::Trust,
                weeks: 3,
                latest_week: "2026-W48".into(),
            }]
        );
        assert_eq!(
            counselling_prompt(&s, TODAY, ANA).unwrap().reasons[0].sentence,
            "Ben's weekly trust score has stayed at 3 or below for 3 weeks in a row."
        );
    }

    #[test]
    fn a_better_week_ends_the_run_and_old_runs_are_not_raised() {
        let mut s = couple();
        s.checkins.push(checkin("c1", BEN, "2026-10-05", 5, 2, 5)); // W41
        s.checkins.push(checkin("c2", BEN, "2026-10-12", 5, 3, 5)); // W42
        s.checkins.push(checkin("c3", BEN, "2026-10-19", 5, 7, 5)); // W43 better
        s.checkins.push(checkin("c4", BEN, "2026-11-18", 5, 3, 5)); // W47
        s.checkins.push(checkin("c5", BEN, "2026-11-25", 5, 3, 5)); // W48
        assert!(none(&s));
        // Three low weeks that ended a month ago are not "recent".
        s.checkins[2].trust = 1;
        s.checkins.truncate(3);
        assert!(none(&s));
        // The same three weeks, seen from within two weeks of the last one, are.
        assert!(counselling_prompt(&s, "2026-10-26", ANA).is_some());
        assert!(counselling_prompt(&s, "2026-10-26", BEN).is_some());
    }

    /// Ana's safety at 2 for three recent weeks (W46–W48), trust fine.
    fn ana_feels_unsafe(s: &mut Snapshot) {
        for (i, day) in ["2026-11-10", "2026-11-17", "2026-11-24"]
            .iter()
            .enumerate()
        {
            s.checkins
                .push(checkin(&format!("unsafe{i}"), ANA, day, 2, 6, 5));
        }
    }

    #[test]
    fn the_low_safety_prompt_appears_on_one_device_only_and_names_individual_support_first() {
        let mut s = couple();
        ana_feels_unsafe(&mut s);
        // Ben's phone: nothing at all, not even a hint.
        assert_eq!(counselling_prompt(&s, TODAY, BEN), None);
        // Ana's phone: safety first.
        let prompt = counselling_prompt(&s, TODAY, ANA).unwrap();
        assert_eq!(prompt.kind, PromptKind::SafetyFirst);
        assert!(!prompt.couples_counselling_advised);
        assert_eq!(
            prompt.reasons.iter().map(|r| &r.reason).collect::<Vec<_>>(),
            vec![&ReasonKind::PainStaysHigh {
                member: ANA.into(),
                measure: Measure::Safety,
                weeks: 3,
                latest_week: "2026-W48".into(),
            }]
        );
        // Spoken to her, not about her.
        assert_eq!(
            prompt.reasons[0].sentence,
            "Your weekly feeling-safe score has stayed at 3 or below for 3 weeks in a row."
        );
        let kinds: Vec<ResourceKind> = prompt.resources.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ResourceKind::ALL.to_vec());
        assert_eq!(kinds[0], ResourceKind::IndividualCounsellor);
        assert!(prompt.resources[0].text.contains("individual counsellor"));
        assert!(
            prompt.resources[1]
                .text
                .contains("domestic abuse or family violence")
        );
        assert!(prompt.resources[2].text.contains("emergency"));
        assert!(prompt.resources[3].text.contains("trust"));
        let message = prompt.message.to_lowercase();
        assert!(message.contains("couples counselling is not advised while someone feels unsafe"));
        assert!(!message.contains("couples therapist"));
        // No phone number or country's service is written in.
        for text in std::iter::once(&prompt.message).chain(prompt.resources.iter().map(|r| &r.text))
        {
            assert!(!text.chars().any(|c| c.is_ascii_digit()), "{text:?}");
        }
    }

    #[test]
    fn safety_first_holds_when_other_reasons_are_there_too() {
        let mut s = couple();
        ana_feels_unsafe(&mut s);
        for i in 0..3 {
            s.questions.push(question(
                &format!("q{i}"),
                BEN,
                &format!("2026-11-2{i}"),
                "Can we talk?",
                Some("weekends"),
            ));
        }
        let ana = counselling_prompt(&s, TODAY, ANA).unwrap();
        assert_eq!(ana.kind, PromptKind::SafetyFirst);
        assert!(!ana.couples_counselling_advised);
        assert!(matches!(
            ana.reasons[0].reason,
            ReasonKind::PainStaysHigh {
                measure: Measure::Safety,
                ..
            }
        ));
        assert!(matches!(
            ana.reasons[1].reason,
            ReasonKind::TopicReturns { .. }
        ));
        // Ben sees the returning topic, as a couples prompt, and nothing of Ana's safety.
        let ben = counselling_prompt(&s, TODAY, BEN).unwrap();
        assert_eq!(ben.kind, PromptKind::CouplesCounselling);
        assert_eq!(ben.reasons.len(), 1);
    }

    #[test]
    fn the_other_viewers_prompt_is_the_same_whether_the_partners_safety_is_low_or_not() {
        // Every other reason present, so there is a prompt to compare.
        let mut calm = couple();
        for i in 0..3 {
            let day = format!("2026-11-2{i}");
            calm.questions
                .push(question(&format!("q{i}"), ANA, &day, "Why?", Some("why")));
            calm.triggers
                .push(trigger(&format!("t{i}"), ANA, &day, "the café", 6));
            calm.checkins
                .push(heard(checkin(&format!("b{i}"), BEN, &day, 6, 2, 5), 1));
        }
        // The same, plus Ana's safety low for weeks (and the same weeks' trust).
        let mut unsafe_ = calm.clone();
        ana_feels_unsafe(&mut unsafe_);
        // Ana's trust in those weeks stays high in both: only safety differs.
        let calm_too = {
            let mut c = calm.clone();
            for (i, day) in ["2026-11-10", "2026-11-17", "2026-11-24"]
                .iter()
                .enumerate()
            {
                c.checkins
                    .push(checkin(&format!("unsafe{i}"), ANA, day, 8, 6, 5));
            }
            c
        };
        for today in ["2026-11-24", TODAY, "2026-12-01"] {
            let seen_by_ben = counselling_prompt(&unsafe_, today, BEN);
            assert_eq!(
                seen_by_ben,
                counselling_prompt(&calm_too, today, BEN),
                "{today}"
            );
            assert_eq!(
                seen_by_ben,
                counselling_prompt(&calm, today, BEN),
                "{today}"
            );
            if let Some(p) = &seen_by_ben {
                assert_eq!(p.kind, PromptKind::CouplesCounselling);
            }
        }
        assert!(counselling_prompt(&unsafe_, TODAY, BEN).is_some());
        assert_eq!(
            counselling_prompt(&unsafe_, TODAY, ANA).map(|p| p.kind),
            Some(PromptKind::SafetyFirst)
        );
    }

    #[test]
    fn a_host_catalog_replaces_the_prompt_text() {
        let mut s = couple();
        ana_feels_unsafe(&mut s);
        let host = "counselling-safety-message = Deine Sicherheit geht vor.\n\
                    counselling-resource-individual = Eine Beratung nur für dich.\n";
        let de = Messages::with_host_catalog("de", host).unwrap();
        let prompt = counselling_prompt_in(&s, TODAY, ANA, &de).unwrap();
        assert_eq!(prompt.message, "Deine Sicherheit geht vor.");
        assert_eq!(prompt.resources[0].text, "Eine Beratung nur für dich.");
        // What the host left out reads in English.
        assert_eq!(
            prompt.resources[1].text,
            counselling_prompt(&s, TODAY, ANA).unwrap().resources[1].text
        );
    }

    /// Words that would label a person or the relationship (a diagnosis, a
    /// verdict, a blame). "Unsafe" and "safety" may appear: they describe how
    /// the viewer feels. "Abuse" may appear only as the kind of support
    /// service ("domestic abuse … support service"), never about anyone.
    const LABELS: &[&str] = &[
        "disorder",
        "toxic",
        "abusive",
        "abuser",
        "narcissis",
        "victim",
        "perpetrator",
        "fail",
        "diagnos",
        "broken",
        "wrong",
        "should",
        "your partner is",
        "the relationship is",
        "you are being",
    ];

    fn assert_labels_nobody(text: &str) {
        let text = text.to_lowercase();
        for label in LABELS {
            assert!(!text.contains(label), "{label:?} in {text:?}");
        }
        let without_service = text.replace("domestic abuse or family violence support service", "");
        assert!(
            !without_service.contains("abuse"),
            "\"abuse\" outside the service's name in {text:?}"
        );
    }

    #[test]
    fn the_wording_suggests_a_therapist_and_never_labels_anyone() {
        let mut s = couple();
        for i in 0..3 {
            let day = format!("2026-11-2{i}");
            s.questions
                .push(question(&format!("q{i}"), ANA, &day, "Why?", Some("why")));
            s.triggers
                .push(trigger(&format!("t{i}"), ANA, &day, "the café", 6));
            s.checkins
                .push(heard(checkin(&format!("a{i}"), ANA, &day, 1, 1, 1), 1));
        }
        for (i, day) in ["2026-11-02", "2026-11-09", "2026-11-16"]
            .iter()
            .enumerate()
        {
            s.checkins
                .push(checkin(&format!("w{i}"), ANA, day, 1, 1, 1));
        }
        // Ben's device: the couples prompt, without Ana's safety.
        let ben = counselling_prompt(&s, TODAY, BEN).unwrap();
        assert_eq!(ben.reasons.len(), 4, "{:#?}", ben.reasons);
        assert!(ben.message.contains("couples therapist"));
        // Ana's device: safety first, with all five.
        let ana = counselling_prompt(&s, TODAY, ANA).unwrap();
        assert_eq!(ana.reasons.len(), 5, "{:#?}", ana.reasons);
        for prompt in [&ben, &ana] {
            assert_labels_nobody(&prompt.message);
            for r in &prompt.reasons {
                assert_labels_nobody(&r.sentence);
            }
            for r in &prompt.resources {
                assert_labels_nobody(&r.text);
            }
        }
        // Every text in the catalog too, whether or not this case shows it.
        let english = Messages::english();
        for id in crate::i18n::MESSAGE_IDS {
            assert_labels_nobody(&english.get(id, &[]));
        }
        // And in Spanish: no label, and violence named only as the
        // service's field.
        let spanish = Messages::for_locale("es").unwrap();
        for id in crate::i18n::MESSAGE_IDS {
            let text = spanish.get(id, &[]).to_lowercase();
            for label in [
                "trastorno",
                "tóxic",
                "abusador",
                "maltratador",
                "narcisis",
                "víctima",
                "culpable",
                "fracas",
                "diagnós",
                "roto",
                "deberías",
            ] {
                assert!(!text.contains(label), "{label:?} in {text:?}");
            }
            let without_service = text.replace("violencia doméstica o familiar", "");
            assert!(!without_service.contains("violen"), "{text:?}");
            assert!(!without_service.contains("abus"), "{text:?}");
        }
    }
}
