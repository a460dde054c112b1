#include "connector/search_text.hpp"

#include "utf8.hpp"

namespace connector {

namespace {

// The base letter of a code point with a diacritic, or 0 when it has none we fold.
char base_letter(char32_t c) {
    // Latin-1 Supplement: À..ÿ (× and ÷ are not letters).
    static const char kLatin1[] =
        "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"   // U+00C0..U+00DF
        "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";  // U+00E0..U+00FF
    if (c >= 0xC0 && c <= 0xFF)
        return kLatin1[c - 0xC0];
    switch (c) {
        case 0x0102:
        case 0x0103:
            return 'a';  // Ă ă
        case 0x0110:
        case 0x0111:
            return 'd';  // Đ đ
        case 0x0128:
        case 0x0129:
            return 'i';  // Ĩ ĩ
        case 0x0168:
        case 0x0169:
            return 'u';  // Ũ ũ
        case 0x01A0:
        case 0x01A1:
            return 'o';  // Ơ ơ
        case 0x01AF:
        case 0x01B0:
            return 'u';  // Ư ư
        default:
            break;
    }
    // Latin Extended Additional, Vietnamese block: Ạ..ỹ in runs of one base letter.
    if (c >= 0x1EA0 && c <= 0x1EB7)
        return 'a';
    if (c >= 0x1EB8 && c <= 0x1EC7)
        return 'e';
    if (c >= 0x1EC8 && c <= 0x1ECB)
        return 'i';
    if (c >= 0x1ECC && c <= 0x1EE3)
        return 'o';
    if (c >= 0x1EE4 && c <= 0x1EF1)
        return 'u';
    if (c >= 0x1EF2 && c <= 0x1EF9)
        return 'y';
    return 0;
}

}  // namespace

std::string fold_for_search(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto decoded = utf8::next(text, i);
        if (!decoded)
            continue;  // not UTF-8: dropped
        const char32_t c = *decoded;
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (c >= 0x0300 && c <= 0x036F) {
            // a combining mark (text written decomposed): dropped, its letter stays
        } else if (const char base = base_letter(c)) {
            out += base;
        } else {
            utf8::append(out, c);
        }
    }
    return out;
}

std::string task_search_text(const Task& task) {
    return fold_for_search(task.title + "\n" + task.content + "\n" + task.source_document_id);
}

}  // namespace connector
