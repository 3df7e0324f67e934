//! Input checks shared by every operation. The limits keep a single record
//! small enough to sync in one frame and to show on a phone screen.

use crate::error::{CoreError, Result};

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_AGREEMENT_CHARS: usize = 2_000;
pub const MAX_NOTE_CHARS: usize = 4_000;
/// Journal entries may be long; they never leave the device.
pub const MAX_PRIVATE_CHARS: usize = 20_000;
pub const MAX_MOOD_CHARS: usize = 32;
pub const MAX_MOODS: usize = 12;

pub fn score(field: &'static str, value: i64) -> Result<u8> {
    if (0..=10).contains(&value) {
        Ok(value as u8)
    } else {
        Err(CoreError::ScoreOutOfRange { field, value })
    }
}

/// Trims surrounding whitespace; rejects empty and over-long text.
pub fn text(field: &'static str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CoreError::EmptyText { field });
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(CoreError::TextTooLong { field, len, max });
    }
    Ok(trimmed.to_owned())
}

/// An optional note: blank means "no note".
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A calendar day `YYYY-MM-DD`; `None` means today in local time.
pub fn day(field: &'static str, value: Option<&str>) -> Result<String> {
    match value.map(str::trim) {
        None | Some("") => Ok(jiff::Zoned::now().date().to_string()),
        Some(v) => v
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| CoreError::InvalidDate {
                field,
                value: v.to_owned(),
            }),
    }
}

/// A 0–`max` score given as any integer.
pub fn bounded(field: &'static str, value: i64, max: u8) -> Result<u8> {
    if (0..=i64::from(max)).contains(&value) {
        Ok(value as u8)
    } else {
        Err(CoreError::InvalidValue {
            field,
            reason: format!("must be between 0 and {max}, got {value}"),
        })
    }
}

/// Mood words are single lowercase words; duplicates are dropped, order kept.
pub fn moods(words: &[String]) -> Result<Vec<String>> {
    let out = words_list(words)?;
    if let Some(unknown) = out
        .iter()
        .find(|w| !crate::model::MOOD_VOCABULARY.contains(&w.as_str()))
    {
        return Err(CoreError::InvalidMood {
            word: unknown.clone(),
            reason: "not in the mood list; put it among the free words",
        });
    }
    Ok(out)
}

/// Free words: any single words, same limits as moods.
pub fn free_words(words: &[String]) -> Result<Vec<String>> {
    words_list(words)
}

fn words_list(words: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for raw in words {
        let word = raw.trim().to_lowercase();
        if word.is_empty() {
            return Err(CoreError::InvalidMood {
                word: raw.clone(),
                reason: "empty",
            });
        }
        if word.chars().count() > MAX_MOOD_CHARS {
            return Err(CoreError::InvalidMood {
                word: raw.clone(),
                reason: "too long",
            });
        }
        if word.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CoreError::InvalidMood {
                word: raw.clone(),
                reason: "one word only",
            });
        }
        if !out.contains(&word) {
            out.push(word);
        }
    }
    if out.len() > MAX_MOODS {
        return Err(CoreError::InvalidMood {
            word: words.join(" "),
            reason: "too many mood words",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_outside_zero_to_ten_are_refused() {
        assert_eq!(score("safety", 0).unwrap(), 0);
        assert_eq!(score("safety", 10).unwrap(), 10);
        assert!(matches!(
            score("trust", 11),
            Err(CoreError::ScoreOutOfRange {
                field: "trust",
                value: 11
            })
        ));
        assert!(score("trust", -1).is_err());
    }

    #[test]
    fn text_is_trimmed_and_blank_text_refused() {
        assert_eq!(text("t", "  hi  ", 10).unwrap(), "hi");
        assert!(matches!(
            text("t", "   ", 10),
            Err(CoreError::EmptyText { .. })
        ));
        assert!(matches!(
            text("t", "abcdef", 3),
            Err(CoreError::TextTooLong { .. })
        ));
        assert_eq!(optional_text("n", Some("  "), 10).unwrap(), None);
    }

    #[test]
    fn moods_are_lowercased_deduplicated_and_single_words() {
        let got = moods(&["Hopeful".into(), "sad".into(), "hopeful".into()]).unwrap();
        assert_eq!(got, vec!["hopeful", "sad"]);
        assert!(moods(&["very sad".into()]).is_err());
        assert!(moods(&["".into()]).is_err());
        assert!(matches!(
            moods(&["wistful".into()]),
            Err(CoreError::InvalidMood { .. })
        ));
        assert_eq!(free_words(&["Wistful".into()]).unwrap(), vec!["wistful"]);
    }

    #[test]
    fn days_are_iso_dates() {
        assert_eq!(day("day", Some("2026-02-03")).unwrap(), "2026-02-03");
        assert!(matches!(
            day("day", Some("3/2/2026")),
            Err(CoreError::InvalidDate { field: "day", .. })
        ));
        assert_eq!(day("day", None).unwrap().len(), 10);
    }
}
