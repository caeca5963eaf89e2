//! What the targets share: cutting the data into fields, and the checks every
//! answer and report must pass.

use assay_core::api::Answer;
use assay_core::Report;

/// The data cut at its first `n - 1` NUL bytes into `n` fields (the last
/// ones empty when there are fewer NULs). NUL is a separator that no
/// policy, expression or YAML text needs.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0).collect();
    out.resize(n, &[]);
    out
}

/// Text of arbitrary bytes; invalid UTF-8 replaced, as a host reading a
/// file lossily would.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Every way a report is written.
pub fn rendered(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("json", report.to_json()),
        ("human", report.to_human(false)),
        ("github", report.to_github()),
        ("junit", report.to_junit(true)),
        ("sarif", report.to_sarif()),
    ]
}

/// The report's renderings are well formed: JSON and SARIF parse, every
/// GitHub line is one workflow command, JUnit holds no character XML
/// cannot. Returns them for further checks.
pub fn check_report(report: &Report) -> Vec<(&'static str, String)> {
    let out = rendered(report);
    for (format, text) in &out {
        match *format {
            "json" | "sarif" => {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
                    panic!("{format} output is not JSON ({e}):\n{text}");
                }
            }
            "github" => {
                for line in text.lines() {
                    assert!(
                        line.starts_with("::error ") || line.starts_with("::warning "),
                        "a GitHub output line is not a workflow command: {line:?}\n{text}"
                    );
                }
            }
            "junit" => {
                let bad = text.chars().find(|c| {
                    matches!(*c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
                });
                assert!(
                    bad.is_none(),
                    "JUnit output holds {bad:?}, which XML cannot:\n{text}"
                );
            }
            _ => {}
        }
    }
    out
}

/// An answer survives its JSON text: hosts that get answers as text from a
/// module (and the JS and Python packages) read them back into `Answer`.
/// A report's renderings are checked too.
pub fn check_answer(answer: &Answer) {
    let json = match serde_json::to_string(answer) {
        Ok(json) => json,
        Err(e) => panic!("answer does not serialize: {e}\n{answer:?}"),
    };
    match serde_json::from_str::<Answer>(&json) {
        Ok(back) => assert!(
            &back == answer,
            "answer changes through its JSON:\n{answer:?}\n{back:?}\n{json}"
        ),
        Err(e) => panic!("answer does not read back ({e}):\n{json}"),
    }
    match answer {
        Answer::Report { report } | Answer::Review { report, .. } => {
            check_report(report);
        }
        Answer::Error { error } => {
            assert!(
                !error.message.is_empty(),
                "an error answer without a message"
            )
        }
        _ => {}
    }
}

thread_local! {
    static LIBRARY: std::rc::Rc<assay_core::PolicySet> = std::rc::Rc::new(
        match assay_core::library::defaults() {
            Ok(set) => set,
            Err(e) => panic!("the built-in library does not load: {e:?}"),
        },
    );
}

/// The built-in policy library, loaded once per thread.
pub fn library() -> std::rc::Rc<assay_core::PolicySet> {
    LIBRARY.with(std::rc::Rc::clone)
}

/// The number of lines of a text as YAML counts them: `\r\n`, `\r` and
/// `\n` each end a line (a lone CR is a line break in YAML, and in most
/// editors).
pub fn line_count(text: &[u8]) -> u32 {
    let mut lines = 1u32;
    let mut bytes = text.iter().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\n' => lines += 1,
            b'\r' => {
                bytes.next_if_eq(&&b'\n');
                lines += 1;
            }
            _ => {}
        }
    }
    lines
}
