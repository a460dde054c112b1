#include "spreadsheet.hpp"

#include <xlsxwriter.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace http_api {

namespace {

// A cell a spreadsheet would evaluate (=, +, -, @, or a tab or carriage return first) is
// kept as text with a leading apostrophe (OWASP's advice against CSV injection).
std::string csv_cell(const std::string& text, bool numeric) {
    std::string cell = text;
    if (!numeric && !cell.empty() && std::string("=+-@\t\r").find(cell[0]) != std::string::npos)
        cell.insert(cell.begin(), '\'');
    if (cell.find_first_of(",\"\r\n") == std::string::npos)
        return cell;
    std::string quoted = "\"";
    for (const char c : cell) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

void csv_line(std::string& out, const std::vector<std::string>& cells,
              const std::vector<bool>& numeric) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i)
            out += ',';
        out += csv_cell(cells[i], i < numeric.size() && numeric[i]);
    }
    out += "\r\n";
}

// What Excel allows in a sheet's name.
std::string sheet_name(const std::string& name) {
    std::string out;
    for (const char c : name)
        if (std::string("[]:*?/\\").find(c) == std::string::npos)
            out += c;
    // At most 31 characters: cut on a character boundary, counting UTF-8 lead bytes.
    std::size_t characters = 0, end = 0;
    for (; end < out.size(); ++end) {
        if ((static_cast<unsigned char>(out[end]) & 0xC0) != 0x80 && ++characters > 31)
            break;
    }
    out.resize(end);
    return out.empty() ? "Sheet" : out;
}

struct WorkbookCloser {
    void operator()(lxw_workbook* workbook) const {
        if (workbook)
            workbook_close(workbook);
    }
};

}  // namespace

std::string to_csv(const Table& table) {
    std::string out = "\xEF\xBB\xBF";  // the byte-order mark
    csv_line(out, table.headers, {});
    for (const auto& row : table.rows)
        csv_line(out, row, table.numeric);
    return out;
}

std::string to_xlsx(const std::vector<Table>& sheets) {
    // libxlsxwriter 1.1.4 writes to a file only: a private temporary file, read back and
    // removed.
    std::string path = (std::filesystem::temp_directory_path() / "connector-xlsx-XXXXXX").string();
    const int fd = mkstemp(path.data());
    if (fd < 0)
        throw std::runtime_error("xlsx: no temporary file in " +
                                 std::filesystem::temp_directory_path().string());
    close(fd);
    struct Remove {
        std::string path;
        ~Remove() { std::remove(path.c_str()); }
    } remove{path};
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;  // rows are written in order: memory stays flat
    const std::string tmpdir = std::filesystem::temp_directory_path().string();
    options.tmpdir = const_cast<char*>(tmpdir.c_str());
    std::unique_ptr<lxw_workbook, WorkbookCloser> workbook(
        workbook_new_opt(path.c_str(), &options));
    if (!workbook)
        throw std::runtime_error("xlsx: cannot start a workbook");
    lxw_format* bold = workbook_add_format(workbook.get());
    format_set_bold(bold);
    format_set_bg_color(bold, 0xE9EDF2);
    for (const Table& table : sheets) {
        lxw_worksheet* sheet =
            workbook_add_worksheet(workbook.get(), sheet_name(table.name).c_str());
        if (!sheet)
            throw std::runtime_error("xlsx: cannot add the sheet '" + table.name + "'");
        for (std::size_t column = 0; column < table.headers.size(); ++column) {
            const bool numeric = column < table.numeric.size() && table.numeric[column];
            worksheet_set_column(sheet, static_cast<lxw_col_t>(column),
                                 static_cast<lxw_col_t>(column), numeric ? 12 : 36, nullptr);
            worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(column),
                                   table.headers[column].c_str(), bold);
        }
        lxw_row_t row_number = 1;
        for (const auto& row : table.rows) {
            for (std::size_t column = 0; column < row.size(); ++column) {
                const auto col = static_cast<lxw_col_t>(column);
                const bool numeric = column < table.numeric.size() && table.numeric[column];
                if (row[column].empty())
                    continue;
                if (numeric)
                    worksheet_write_number(sheet, row_number, col, std::atof(row[column].c_str()),
                                           nullptr);
                else
                    worksheet_write_string(sheet, row_number, col, row[column].c_str(), nullptr);
            }
            ++row_number;
        }
    }
    const lxw_error closed = workbook_close(workbook.release());
    if (closed != LXW_NO_ERROR)
        throw std::runtime_error(std::string("xlsx: ") + lxw_strerror(closed));
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace http_api
