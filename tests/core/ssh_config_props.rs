//! Properties of the ssh_config editor over generated files: every file reads back byte for
//! byte, and writing the Host block keeps every other line, in order, and is idempotent.

use fxconfig::sshclient::SshConfigText;
use fxconfig::sshclient::config_file::Setting;
use proptest::prelude::*;

/// One line of an ssh_config: a keyword line (with `=` or spaces, quotes, a trailing comment),
/// a Host or Match line, a comment, a blank line, or odd spacing; with LF, CRLF or (last) no ending.
fn line_strategy() -> impl Strategy<Value = String> {
    let keyword = prop::sample::select(vec![
        "User",
        "IdentitiesOnly",
        "identityfile",
        "PKCS11Provider",
        "Port",
        "Include",
        "ServerAliveInterval",
        "HostName",
    ]);
    let value = "[A-Za-z0-9./~_*-]{1,12}";
    prop_oneof![
        (keyword, value, prop::bool::ANY, "[ \t]{0,3}").prop_map(|(k, v, eq, indent)| if eq {
            format!("{indent}{k}={v}")
        } else {
            format!("{indent}{k} \"{v} x\" # note")
        }),
        "[a-z*?!]{1,6}( [a-z*]{1,6}){0,2}".prop_map(|patterns| format!("Host {patterns}")),
        Just("Match all".to_owned()),
        Just("Match exec \"true\" host x*".to_owned()),
        "#[ -~]{0,20}",
        Just(String::new()),
        "[ \t]{1,4}",
    ]
}

fn file_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((line_strategy(), prop::bool::ANY), 0..24),
        prop::bool::ANY,
    )
        .prop_map(|(lines, last_ending)| {
            let mut out = String::new();
            let count = lines.len();
            for (index, (line, crlf)) in lines.into_iter().enumerate() {
                out.push_str(&line);
                if index + 1 < count || last_ending {
                    out.push_str(if crlf { "\r\n" } else { "\n" });
                }
            }
            out.into_bytes()
        })
}

fn settings() -> Vec<Setting> {
    vec![
        Setting {
            keyword: "PKCS11Provider",
            value: "/usr/lib/fx/libfxpkcs11.so".to_owned(),
        },
        Setting {
            keyword: "IdentitiesOnly",
            value: "yes".to_owned(),
        },
        Setting {
            keyword: "IdentityFile",
            value: "/home/a b/kmes.pub".to_owned(),
        },
    ]
}

/// The file's lines without their endings.
fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split('\n')
        .map(|line| line.trim_end_matches('\r').to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_round_trip(bytes in file_strategy()) {
        let text = SshConfigText::parse(&bytes).expect("generated text is UTF-8");
        prop_assert_eq!(text.to_bytes(), bytes);
    }

    #[test]
    fn the_block_keeps_every_other_line_in_order_and_a_second_write_changes_nothing(bytes in file_strategy()) {
        let mut text = SshConfigText::parse(&bytes).expect("generated text is UTF-8");
        let had_block = text.host_block("kmes").is_some();
        prop_assume!(!had_block);
        let changes = text.set_host_block("kmes", &settings());
        prop_assert_eq!(changes.len(), 3);
        let after = text.to_bytes();

        // Every old line is still there, in order: the new lines are the block and blank lines.
        let old = lines(&bytes);
        let new = lines(&after);
        let mut remaining = old.iter().filter(|line| !line.is_empty()).peekable();
        for line in &new {
            if remaining.peek() == Some(&line) {
                remaining.next();
            }
        }
        prop_assert!(remaining.peek().is_none(), "a line was lost: {:?}", remaining.peek());
        let added: Vec<&String> = {
            let mut old_left = old.iter().filter(|line| !line.is_empty()).peekable();
            new.iter()
                .filter(|line| {
                    if old_left.peek() == Some(line) {
                        old_left.next();
                        false
                    } else {
                        !line.is_empty()
                    }
                })
                .collect()
        };
        prop_assert_eq!(
            added,
            vec![
                "Host kmes",
                "    PKCS11Provider /usr/lib/fx/libfxpkcs11.so",
                "    IdentitiesOnly yes",
                "    IdentityFile \"/home/a b/kmes.pub\"",
            ]
        );

        // The block reads back with its values, and writing it again changes nothing.
        let reread = SshConfigText::parse(&after).expect("UTF-8");
        let block = reread.host_block("kmes").expect("the block is found again");
        let values: Vec<(String, Vec<String>)> = (block.start + 1..block.end)
            .filter_map(|index| reread.directive(index))
            .map(|directive| (directive.keyword, directive.args))
            .collect();
        prop_assert!(values.contains(&("IdentityFile".to_owned(), vec!["/home/a b/kmes.pub".to_owned()])));
        let mut again = reread.clone();
        prop_assert!(again.set_host_block("kmes", &settings()).is_empty());
        prop_assert_eq!(again.to_bytes(), after);
    }
}
