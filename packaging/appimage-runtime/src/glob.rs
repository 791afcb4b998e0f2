//! Shell-style patterns for `--appimage-extract PATTERN`: `*` matches any run of characters
//! (slashes included), `?` any one character, everything else itself.

/// Whether `text` matches `pattern` as a whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was and the text position it is currently stretched to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_at, stretched_to)) => {
                    p = star_at + 1;
                    t = stretched_to + 1;
                    star = Some((star_at, stretched_to + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn literal_patterns_match_only_themselves() {
        assert!(matches("usr/bin/fxconfig", "usr/bin/fxconfig"));
        assert!(!matches("usr/bin/fxconfig", "usr/bin/fxconfig2"));
        assert!(!matches("usr/bin/fxconfig", "usr/bin"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn star_spans_any_run_including_slashes() {
        assert!(matches("*.desktop", "fxconfig.desktop"));
        assert!(matches("usr/*", "usr/share/metainfo/fxconfig.appdata.xml"));
        assert!(matches("*metainfo*", "usr/share/metainfo"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXXbYYbZc"));
        assert!(!matches("a*b*c", "aXXbYYbZ"));
        assert!(!matches("*.png", "fxconfig.png.txt"));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(matches("App?un", "AppRun"));
        assert!(!matches("App?un", "Appun"));
        assert!(matches("??", "é!"));
    }
}
