//! A named-column CSV reader shared by the long-format loaders (futures snapshots, funding):
//! errors name the file, the line and the column.

use super::DataError;
use std::path::Path;

/// An open CSV file with its header.
pub(crate) struct CsvTable {
    pub file: String,
    reader: csv::Reader<std::fs::File>,
    header: csv::StringRecord,
}

impl CsvTable {
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let file = path.display().to_string();
        let csv_err = |line: u64, e: csv::Error| DataError::Csv {
            file: file.clone(),
            line,
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| csv_err(0, e))?;
        let header = reader.headers().map_err(|e| csv_err(1, e))?.clone();
        Ok(Self { file, reader, header })
    }

    /// Index of a required column.
    pub fn column(&self, name: &str) -> Result<usize, DataError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DataError::Invalid(format!("{}: the header has no '{name}' column", self.file)))
    }

    /// Every record with its line number.
    pub fn rows(&mut self) -> impl Iterator<Item = Result<(u64, csv::StringRecord), DataError>> + '_ {
        let file = self.file.clone();
        self.reader.records().map(move |r| {
            r.map(|rec| (rec.position().map_or(0, |p| p.line()), rec))
                .map_err(|e| DataError::Csv {
                    file: file.clone(),
                    line: e.position().map_or(0, |p| p.line()),
                    message: e.to_string(),
                })
        })
    }

    /// A bad-value error at `line`, `column` (0-based).
    pub fn bad(&self, line: u64, column: usize, message: String) -> DataError {
        DataError::BadValue {
            file: self.file.clone(),
            line,
            column: column + 1,
            message,
        }
    }
}
