//! A trace's answer as files to download: CSV with the JSON API's columns, and XLSX with the same
//! columns and values. Text cells go through [`escape_cell`] in both, and XLSX cells are written
//! as strings (minutes as numbers), so nothing a kiosk sent becomes a formula.

use qrgate_protocol::field::escape_cell;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::error::{Error, Result};
use crate::http::CONTACT_COLUMNS;
use crate::province::{self, Contact};

pub fn csv(rows: &[Contact]) -> Result<Vec<u8>> {
    Ok(province::to_csv(rows, &CONTACT_COLUMNS)?.into_bytes())
}

pub fn xlsx(rows: &[Contact]) -> Result<Vec<u8>> {
    let io = |e: XlsxError| Error::Io { what: "writing XLSX".into(), source: std::io::Error::other(e.to_string()) };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("truy-vet").map_err(io)?;
    let bold = Format::new().set_bold();
    for (col, name) in CONTACT_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold).map_err(io)?;
    }
    for (i, c) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let texts = [
            (0, c.person_kind.clone()),
            (1, c.person_ref.clone()),
            (2, c.full_name.clone().unwrap_or_default()),
            (3, c.gates.join("; ")),
            (5, c.first_overlap.clone()),
        ];
        for (col, text) in texts {
            sheet.write_string(row, col, escape_cell(&text)).map_err(io)?;
        }
        sheet.write_number(row, 4, c.overlap_minutes as f64).map_err(io)?;
    }
    for (col, width) in [10.0, 26.0, 28.0, 24.0, 16.0, 26.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width).map_err(io)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(io)?;
    book.save_to_buffer().map_err(io)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn rows() -> Vec<Contact> {
        vec![Contact {
            person_kind: "worker".into(),
            person_ref: "NV0001".into(),
            full_name: Some("=HYPERLINK(\"http://x\")".into()),
            gates: vec!["Cổng 1".into(), "-Cổng 2".into()],
            overlap_minutes: 90,
            first_overlap: "2025-03-03T09:00:00+07:00".into(),
        }]
    }

    #[test]
    fn csv_has_the_apis_columns_and_escaped_cells() {
        let text = String::from_utf8(csv(&rows()).unwrap()).unwrap();
        assert_eq!(
            text,
            "person_kind,person_ref,full_name,gates,overlap_minutes,first_overlap\n\
             worker,NV0001,\"'=HYPERLINK(\"\"http://x\"\")\",Cổng 1; -Cổng 2,90,2025-03-03T09:00:00+07:00\n"
        );
    }

    #[test]
    fn xlsx_reads_back_as_strings_with_no_formula() {
        let bytes = xlsx(&rows()).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("truy-vet").unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(cells[0][3], Data::String("gates".into()));
        assert_eq!(cells[1][2], Data::String("'=HYPERLINK(\"http://x\")".into()));
        assert_eq!(cells[1][3], Data::String("Cổng 1; -Cổng 2".into()));
        assert_eq!(cells[1][4], Data::Float(90.0));
        let formulas = book.worksheet_formula("truy-vet").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula anywhere");
    }
}
