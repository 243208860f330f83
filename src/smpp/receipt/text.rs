//! The field scanner for the receipt text of v3.4 Appendix B:
//! `id:... sub:... dlvrd:... submit date:... done date:... stat:... err:...
//! Text:...`.
//!
//! Appendix B calls the layout vendor specific, and SMSCs vary it, so the
//! scanner reads `name:value` tokens separated by whitespace rather than
//! matching one template:
//!
//! - Names are matched ignoring ASCII case, in any order.
//! - `submit date` and `done date` may also be written `submit_date`,
//!   `submitdate`, `done_date` or `donedate`.
//! - A value may follow its colon after a space (`id: 123`).
//! - `text:` ends the scan: everything after its colon, up to the end of the
//!   input, is the text, whatever it contains (`stat:` lookalikes, colons).
//!   It may be missing or cut short.
//! - Any other `name:value` is kept as an extra field. Words without a
//!   colon that follow an extra field are part of its value; after a known
//!   field they are ignored.
//! - The first occurrence of a known field wins; repeats are kept as extra
//!   fields.
//!
//! The scanner borrows from the input and allocates only the bounded list
//! of extra fields.

/// Most extra (unknown or repeated) fields kept; further ones are counted
/// and dropped.
pub const MAX_EXTRA_FIELDS: usize = 16;

/// Longest field name recognised; a longer `word:` is not a field.
const MAX_NAME_LEN: usize = 32;

/// The fields of one receipt text, as slices of it. Values are raw: not
/// yet checked or converted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Scanned<'a> {
    pub id: Option<&'a str>,
    pub sub: Option<&'a str>,
    pub dlvrd: Option<&'a str>,
    pub submit_date: Option<&'a str>,
    pub done_date: Option<&'a str>,
    pub stat: Option<&'a str>,
    pub err: Option<&'a str>,
    /// Everything after `text:`; `None` when there is no `text:`.
    pub text: Option<&'a str>,
    /// Unknown or repeated fields as `(name, value)`, in order, at most
    /// `MAX_EXTRA_FIELDS`.
    pub extra: Vec<(&'a str, &'a str)>,
    /// How many extra fields did not fit in `extra`.
    pub extra_dropped: usize,
}

/// The known fields of Appendix B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

impl Name {
    fn of(name: &str) -> Option<Name> {
        // The two-word forms "submit date" and "done date" are joined by
        // `two_word_date`, not here.
        const NAMES: [(&str, Name); 10] = [
            ("id", Name::Id),
            ("sub", Name::Sub),
            ("dlvrd", Name::Dlvrd),
            ("submit_date", Name::SubmitDate),
            ("submitdate", Name::SubmitDate),
            ("done_date", Name::DoneDate),
            ("donedate", Name::DoneDate),
            ("stat", Name::Stat),
            ("err", Name::Err),
            ("text", Name::Text),
        ];
        NAMES.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)).map(|&(_, n)| n)
    }
}

/// A whitespace-separated token: byte offsets into the input.
#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
}

/// Splits on ASCII whitespace and NUL (some SMSCs pad with NULs). Every
/// offset is next to an ASCII byte or an end, so it is a char boundary.
#[derive(Debug, Clone)]
struct Tokens<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn word(&self, token: Token) -> &'a str {
        self.input.get(token.start..token.end).unwrap_or("")
    }

    fn peek(&self) -> Option<Token> {
        self.clone().next()
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let is_sep = |b: &u8| b.is_ascii_whitespace() || *b == 0;
        let bytes = self.input.as_bytes();
        let rest = bytes.get(self.pos..)?;
        let start = self.pos + rest.iter().position(|b| !is_sep(b))?;
        let len = bytes.get(start..)?.iter().position(is_sep).unwrap_or(bytes.len() - start);
        self.pos = start + len;
        Some(Token { start, end: start + len })
    }
}

/// Where the colon of a `name:value` token is, when the part before it is a
/// plausible field name: an ASCII letter, then letters, digits, `_` or `-`.
fn name_colon(word: &str) -> Option<usize> {
    let colon = word.find(':')?;
    let name = word.get(..colon)?;
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (first_ok && rest_ok && name.len() <= MAX_NAME_LEN).then_some(colon)
}

/// When `token` is `submit` or `done` and the next token starts with
/// `date:`, the two-word field it begins and the `date:` token. `tokens`
/// must stand just after `token`.
fn two_word_date(tokens: &Tokens<'_>, token: Token) -> Option<(Name, Token)> {
    let word = tokens.word(token);
    let name = if word.eq_ignore_ascii_case("submit") {
        Name::SubmitDate
    } else if word.eq_ignore_ascii_case("done") {
        Name::DoneDate
    } else {
        return None;
    };
    let next = tokens.peek()?;
    let next_word = tokens.word(next);
    let colon = name_colon(next_word)?;
    next_word.get(..colon)?.eq_ignore_ascii_case("date").then_some((name, next))
}

/// An extra field whose value may go on over the following bare words.
#[derive(Debug, Clone, Copy)]
struct OpenExtra {
    index: usize,
    /// Where its value starts; `None` while it is still empty.
    value_start: Option<usize>,
}

/// Scans one receipt text. Never fails: whatever is not recognised is
/// skipped or kept as an extra field.
pub(crate) fn scan(input: &str) -> Scanned<'_> {
    let mut out = Scanned::default();
    let mut tokens = Tokens { input, pos: 0 };
    let mut open: Option<OpenExtra> = None;

    while let Some(token) = tokens.next() {
        let word = tokens.word(token);
        if let Some(colon) = name_colon(word) {
            let name = word.get(..colon).unwrap_or("");
            let known = Name::of(name);
            let value_start = token.start + colon + 1;
            if known == Some(Name::Text) {
                out.text = Some(input.get(value_start..).unwrap_or(""));
                break;
            }
            open = record(&mut out, &mut tokens, name, known, Token { start: value_start, end: token.end });
        } else if let Some((known, date)) = two_word_date(&tokens, token) {
            tokens.next();
            let name = input.get(token.start..date.start + 4).unwrap_or("");
            let value = Token { start: date.start + 5, end: date.end };
            open = record(&mut out, &mut tokens, name, Some(known), value);
        } else if let Some(open) = open.as_mut() {
            // More of an extra field's value.
            let start = *open.value_start.get_or_insert(token.start);
            if let Some(entry) = out.extra.get_mut(open.index) {
                entry.1 = input.get(start..token.end).unwrap_or("");
            }
        }
    }
    out
}

/// Stores one field. `value` is the rest of the token after the colon; when
/// it is empty and the field is known, the next token is its value if it
/// is a bare word (`id: 123`).
fn record<'a>(
    out: &mut Scanned<'a>,
    tokens: &mut Tokens<'a>,
    name: &'a str,
    known: Option<Name>,
    mut value: Token,
) -> Option<OpenExtra> {
    if value.start >= value.end && known.is_some() {
        let mut ahead = tokens.clone();
        if let Some(next) = ahead.next() {
            let bare = name_colon(tokens.word(next)).is_none() && two_word_date(&ahead, next).is_none();
            if bare {
                *tokens = ahead;
                value = next;
            }
        }
    }
    let text = tokens.word(value);
    let slot = match known {
        Some(Name::Id) => Some(&mut out.id),
        Some(Name::Sub) => Some(&mut out.sub),
        Some(Name::Dlvrd) => Some(&mut out.dlvrd),
        Some(Name::SubmitDate) => Some(&mut out.submit_date),
        Some(Name::DoneDate) => Some(&mut out.done_date),
        Some(Name::Stat) => Some(&mut out.stat),
        Some(Name::Err) => Some(&mut out.err),
        Some(Name::Text) | None => None,
    };
    if let Some(slot) = slot {
        if slot.is_none() {
            *slot = Some(text);
            return None;
        }
    }
    if out.extra.len() >= MAX_EXTRA_FIELDS {
        out.extra_dropped = out.extra_dropped.saturating_add(1);
        return None;
    }
    out.extra.push((name, text));
    // A repeated known field keeps a one-word value; an unknown one may
    // go on.
    known.is_none().then(|| OpenExtra {
        index: out.extra.len() - 1,
        value_start: (value.start < value.end).then_some(value.start),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_b_layout() {
        let s = scan(
            "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 \
             stat:DELIVRD err:000 Text:Hello world",
        );
        assert_eq!(s.id, Some("0123456789"));
        assert_eq!(s.sub, Some("001"));
        assert_eq!(s.dlvrd, Some("001"));
        assert_eq!(s.submit_date, Some("2403151230"));
        assert_eq!(s.done_date, Some("2403151231"));
        assert_eq!(s.stat, Some("DELIVRD"));
        assert_eq!(s.err, Some("000"));
        assert_eq!(s.text, Some("Hello world"));
        assert!(s.extra.is_empty());
    }

    #[test]
    fn text_swallows_lookalikes() {
        let s = scan("id:1 stat:DELIVRD text:stat:UNDELIV id:2 a:b:c");
        assert_eq!(s.id, Some("1"));
        assert_eq!(s.stat, Some("DELIVRD"));
        assert_eq!(s.text, Some("stat:UNDELIV id:2 a:b:c"));
    }

    #[test]
    fn names_ignore_case_and_underscores() {
        let s = scan("ID:7 SUBMIT_DATE:2403151230 Done Date:2403151231 STAT:expired DoneDate:1");
        assert_eq!(s.id, Some("7"));
        assert_eq!(s.submit_date, Some("2403151230"));
        assert_eq!(s.done_date, Some("2403151231"));
        assert_eq!(s.stat, Some("expired"));
        assert_eq!(s.extra, [("DoneDate", "1")]);
    }

    #[test]
    fn extra_fields_keep_multi_word_values() {
        let s = scan("foo:bar baz id:9 stat:ENROUTE net: 23415 x qux:");
        assert_eq!(s.id, Some("9"));
        assert_eq!(s.extra, [("foo", "bar baz"), ("net", "23415 x"), ("qux", "")]);
        assert_eq!(s.text, None);
    }

    #[test]
    fn value_after_a_space() {
        let s = scan("id: 42 stat: DELIVRD submit date: 2403151230 err: sub:1");
        assert_eq!(s.id, Some("42"));
        assert_eq!(s.stat, Some("DELIVRD"));
        assert_eq!(s.submit_date, Some("2403151230"));
        assert_eq!(s.err, Some(""));
        assert_eq!(s.sub, Some("1"));
    }

    #[test]
    fn repeats_become_extra_and_extras_are_bounded() {
        let mut input = String::from("id:1 id:2 ");
        for i in 0..40 {
            input.push_str(&format!("k{i}:v{i} "));
        }
        let s = scan(&input);
        assert_eq!(s.id, Some("1"));
        assert_eq!(s.extra.first(), Some(&("id", "2")));
        assert_eq!(s.extra.len(), MAX_EXTRA_FIELDS);
        assert_eq!(s.extra_dropped, 41 - MAX_EXTRA_FIELDS);
    }

    #[test]
    fn noise_is_skipped() {
        let s = scan("\0\0 hello 12:30 :x \u{fffd}id:5 id:6\0stat:DELIVRD\0\0");
        assert_eq!(s.id, Some("6"));
        assert_eq!(s.stat, Some("DELIVRD"));
        assert_eq!(scan(""), Scanned::default());
        assert_eq!(scan("   \t\r\n"), Scanned::default());
    }

    #[test]
    fn lone_submit_is_noise() {
        let s = scan("submit done date:2403151230 submit");
        assert_eq!(s.done_date, Some("2403151230"));
        assert_eq!(s.submit_date, None);
    }
}
