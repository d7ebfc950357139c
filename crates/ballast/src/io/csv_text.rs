//! CSV text as a table: header, records with their line numbers, the delimiter sniffed from the
//! header (`,`, `;` or tab), a UTF-8 byte-order mark and a one-field banner line (as
//! CryptoDataDownload puts above its header) skipped.

use super::IoError;

/// A parsed CSV text.
pub(crate) struct CsvTable {
    /// The file, for messages.
    pub file: String,
    /// Header cells, trimmed.
    pub header: Vec<String>,
    /// Records with their 1-based line numbers in the file; blank lines are left out.
    pub rows: Vec<(u64, csv::StringRecord)>,
}

/// How strictly rows must match the header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Every row has as many fields as the header.
    Exact,
    /// Rows may be shorter or longer (missing cells read as empty).
    Flexible,
}

/// The delimiter with the most occurrences outside quotes in `line` (`,` when none occurs).
fn sniff_delimiter(line: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map_or(b',', |c| c.0)
}

/// Split off a banner: a first line with no delimiter at all (a URL or a title) above a line
/// that has one. Returns the text after it and the number of lines skipped.
fn skip_banner(text: &str) -> (&str, u64) {
    let Some((first, rest)) = text.split_once('\n') else {
        return (text, 0);
    };
    let has_delim = |l: &str| l.contains([',', ';', '\t']);
    let second = rest.lines().next().unwrap_or("");
    if !first.trim().is_empty() && !has_delim(first) && has_delim(second) {
        (rest, 1)
    } else {
        (text, 0)
    }
}

/// Parse CSV text; `file` names it in errors.
///
/// # Errors
/// [`IoError::Empty`] for an empty text, [`IoError::NoRows`] when nothing follows the header,
/// [`IoError::Csv`] for a malformed record (naming the line and the field counts).
pub(crate) fn parse(text: &str, file: &str, shape: Shape) -> Result<CsvTable, IoError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(IoError::Empty { file: file.into() });
    }
    let (text, offset) = skip_banner(text);
    let delimiter = sniff_delimiter(text.lines().next().unwrap_or(""));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(shape == Shape::Flexible)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| IoError::Csv {
        file: file.into(),
        line: e.position().map_or(0, |p| p.line()) + offset,
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("row has {len} fields, the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".into(),
            _ => e.to_string(),
        },
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        if rec.iter().all(str::is_empty) {
            continue; // blank line
        }
        let line = rec.position().map_or(0, |p| p.line()) + offset;
        rows.push((line, rec));
    }
    if rows.is_empty() {
        return Err(IoError::NoRows { file: file.into() });
    }
    Ok(CsvTable {
        file: file.into(),
        header,
        rows,
    })
}

impl CsvTable {
    /// Index of the first column whose lower-cased name is one of `names`.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.contains(&h.to_ascii_lowercase().as_str()))
    }

    /// Index of a required column (exact name), or an error naming the file and the column.
    pub fn column(&self, name: &str) -> Result<usize, IoError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| IoError::Format {
                file: self.file.clone(),
                message: format!("the header has no '{name}' column"),
            })
    }

    /// A bad-value error at `line`, `column` (0-based column index).
    pub fn bad(&self, line: u64, column: usize, message: String) -> IoError {
        IoError::BadValue {
            file: self.file.clone(),
            line,
            column: column + 1,
            message,
        }
    }
}
