//! The counselling prompt: a gentle suggestion to talk with a couples
//! therapist when the couple seem stuck — the same topic keeps coming back, a
//! partner keeps feeling unheard, or pain stays high for weeks. It names what
//! it noticed and never labels either partner or the relationship.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Snapshot;
use crate::views::days::{DayRange, add_days, iso_week_start, parse_day};
use crate::views::trends::weekly_bands;

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

/// The words the prompt is written around; see `docs/views.md`.
pub const PROMPT_MESSAGE: &str = "Some things have been coming up again and again. Many couples find it \
helps to talk them through with a couples therapist, who can give the hard conversations a safe, steady \
place. This is only a suggestion, and coming back to the same things is a normal part of rebuilding trust.";

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
    /// The suggestion itself (`PROMPT_MESSAGE`).
    pub message: String,
    /// Why it was raised; never empty.
    pub reasons: Vec<CounsellingReason>,
}

/// The prompt, when at least one reason holds on `today`; `None` otherwise
/// (and for an unreadable `today`).
pub fn counselling_prompt(snapshot: &Snapshot, today: &str) -> Option<CounsellingPrompt> {
    let today = parse_day(today)?;
    let mut reasons = Vec::new();
    reasons.extend(returning_topics(
        snapshot,
        DayRange::ending(today, TOPIC_WINDOW_DAYS)?,
    ));
    reasons.extend(returning_triggers(
        snapshot,
        DayRange::ending(today, TRIGGER_WINDOW_DAYS)?,
    ));
    reasons.extend(feeling_unheard(
        snapshot,
        DayRange::ending(today, UNHEARD_WINDOW_DAYS)?,
    ));
    let earliest_recent_week = add_days(iso_week_start(today), -7 * PAIN_RECENT_WEEKS)?;
    reasons.extend(pain_stays_high(snapshot, earliest_recent_week));
    (!reasons.is_empty()).then(|| CounsellingPrompt {
        message: PROMPT_MESSAGE.to_owned(),
        reasons,
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

fn name_of(snapshot: &Snapshot, member: &str) -> String {
    snapshot
        .members
        .iter()
        .find(|m| m.id == member)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| "One partner".to_owned())
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

fn returning_topics(snapshot: &Snapshot, range: DayRange) -> Vec<CounsellingReason> {
    let items = snapshot
        .questions
        .iter()
        .filter(|q| range.contains_millis(q.at))
        .filter_map(|q| q.topic.as_deref().map(|t| (normalise(t), q.at, t)));
    repeated(items, TOPIC_REPEAT_MIN)
        .into_iter()
        .map(|(topic, n)| CounsellingReason {
            sentence: format!("The topic \u{201c}{topic}\u{201d} has come up in {n} questions over the last 8 weeks."),
            reason: ReasonKind::TopicReturns { topic, questions: n as u32 },
        })
        .collect()
}

fn returning_triggers(snapshot: &Snapshot, range: DayRange) -> Vec<CounsellingReason> {
    let items = snapshot
        .triggers
        .iter()
        .filter(|t| range.contains_millis(t.at))
        .map(|t| (normalise(&t.what), t.at, t.what.as_str()));
    repeated(items, TRIGGER_REPEAT_MIN)
        .into_iter()
        .map(|(what, n)| CounsellingReason {
            sentence: format!("The same moment, \u{201c}{what}\u{201d}, has hurt again {n} times in the last 4 weeks."),
            reason: ReasonKind::TriggerReturns { what, triggers: n as u32 },
        })
        .collect()
}

fn feeling_unheard(snapshot: &Snapshot, range: DayRange) -> Vec<CounsellingReason> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &snapshot.checkins {
        if c.heard.is_some_and(|h| h <= UNHEARD_SCORE_MAX) && range.contains_day(&c.day) {
            *counts.entry(c.author.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= UNHEARD_MIN_CHECKINS)
        .map(|(member, n)| CounsellingReason {
            sentence: format!(
                "{} has said in {n} check-ins over the last 2 weeks that they did not feel listened to.",
                name_of(snapshot, member)
            ),
            reason: ReasonKind::FeelingUnheard { member: member.to_owned(), checkins: n as u32 },
        })
        .collect()
}

fn pain_stays_high(
    snapshot: &Snapshot,
    earliest_recent_week: jiff::civil::Date,
) -> Vec<CounsellingReason> {
    let bands = weekly_bands(snapshot); // ordered by member, then week
    let mut reasons = Vec::new();
    for measure in [Measure::Safety, Measure::Trust] {
        let mut run: Vec<&crate::views::WeeklyBand> = Vec::new();
        let mut flush = |run: &mut Vec<&crate::views::WeeklyBand>| {
            if let Some(last) = run.last()
                && run.len() >= PAIN_MIN_WEEKS
                && parse_day(&last.week_start).is_some_and(|w| w >= earliest_recent_week)
            {
                let what = match measure {
                    Measure::Safety => "feeling safe",
                    Measure::Trust => "trust",
                };
                reasons.push(CounsellingReason {
                    sentence: format!(
                        "{}'s weekly {what} score has stayed at {} or below for {} weeks in a row.",
                        name_of(snapshot, &last.member),
                        PAIN_SCORE_MAX,
                        run.len()
                    ),
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
        for band in &bands {
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

    fn reasons(s: &Snapshot) -> Vec<ReasonKind> {
        counselling_prompt(s, TODAY)
            .map(|p| p.reasons.into_iter().map(|r| r.reason).collect())
            .unwrap_or_default()
    }

    #[test]
    fn no_prompt_without_data() {
        assert_eq!(counselling_prompt(&Snapshot::default(), TODAY), None);
        assert_eq!(counselling_prompt(&couple(), TODAY), None);
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
        assert_eq!(counselling_prompt(&s, TODAY), None);
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
        // Older than eight weeks: out of the window.
        s.questions[0].at = ms("2026-10-02");
        assert_eq!(counselling_prompt(&s, TODAY), None);
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
        assert_eq!(counselling_prompt(&s, TODAY), None);
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
        assert_eq!(counselling_prompt(&s, TODAY), None);
        s.checkins
            .push(heard(checkin("c6", ANA, "2026-11-28", 5, 5, 5), 0));
        let prompt = counselling_prompt(&s, TODAY).unwrap();
        assert_eq!(prompt.reasons.len(), 1);
        assert_eq!(
            prompt.reasons[0].reason,
            ReasonKind::FeelingUnheard {
                member: ANA.into(),
                checkins: 3
            }
        );
        assert!(
            prompt.reasons[0]
                .sentence
                .starts_with("Ana has said in 3 check-ins")
        );
    }

    #[test]
    fn pain_high_for_three_recent_weeks_raises_it_and_skipped_weeks_do_not_break_the_run() {
        let mut s = couple();
        s.checkins.push(checkin("c1", ANA, "2026-11-03", 2, 6, 5)); // W45
        s.checkins.push(checkin("c2", ANA, "2026-11-05", 4, 6, 5)); // W45 median 3
        // W46 skipped: absent, not a break.
        s.checkins.push(checkin("c3", ANA, "2026-11-18", 3, 7, 5)); // W47
        assert_eq!(
            counselling_prompt(&s, TODAY),
            None,
            "two painful weeks are below the threshold"
        );
        s.checkins.push(checkin("c4", ANA, "2026-11-24", 1, 7, 5)); // W48
        assert_eq!(
            reasons(&s),
            vec![ReasonKind::PainStaysHigh {
                member: ANA.into(),
                measure: Measure::Safety,
                weeks: 3,
                latest_week: "2026-W48".into(),
            }]
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
        assert_eq!(counselling_prompt(&s, TODAY), None);
        // Three low weeks that ended a month ago are not "recent".
        s.checkins[2].trust = 1;
        s.checkins.truncate(3);
        assert_eq!(counselling_prompt(&s, TODAY), None);
        // The same three weeks, seen from within two weeks of the last one, are.
        assert!(counselling_prompt(&s, "2026-10-26").is_some());
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
        let prompt = counselling_prompt(&s, TODAY).unwrap();
        assert_eq!(prompt.reasons.len(), 5, "{:#?}", prompt.reasons);
        assert!(prompt.message.contains("couples therapist"));
        let mut texts = vec![prompt.message.to_lowercase()];
        texts.extend(prompt.reasons.iter().map(|r| r.sentence.to_lowercase()));
        for text in &texts {
            for banned in [
                "disorder", "toxic", "abuse", "abusive", "fail", "diagnos", "broken", "wrong",
                "should",
            ] {
                assert!(!text.contains(banned), "{banned:?} in {text:?}");
            }
        }
    }
}
