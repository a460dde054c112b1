// Tables as the leaders download them: CSV (UTF-8 with a byte-order mark, so that Excel
// reads Vietnamese right) and XLSX (libxlsxwriter). Cells are text from packages and users:
// in CSV a cell that a spreadsheet would take for a formula is written with a leading
// apostrophe; in XLSX every text cell is a string, never a formula.
#pragma once

#include <string>
#include <vector>

namespace http_api {

struct Table {
    std::string name;  // the sheet's name (XLSX: at most 31 characters)
    std::vector<std::string> headers;
    std::vector<bool> numeric;  // per column: written as a number in XLSX
    std::vector<std::vector<std::string>> rows;
};

std::string to_csv(const Table& table);
// Throws std::runtime_error when libxlsxwriter fails (no temporary file, say).
std::string to_xlsx(const std::vector<Table>& sheets);

}  // namespace http_api
