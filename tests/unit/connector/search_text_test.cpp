// The task search's folding: Vietnamese written with or without diacritics, in any case,
// precomposed or decomposed, compares the same; other text is kept.
#include <boost/test/unit_test.hpp>

#include "connector/search_text.hpp"

using connector::fold_for_search;

BOOST_AUTO_TEST_SUITE(search_text)

BOOST_AUTO_TEST_CASE(vietnamese_folds_to_its_base_letters) {
    BOOST_TEST(fold_for_search("Đồng Tháp") == "dong thap");
    BOOST_TEST(fold_for_search("QUÁ HẠN") == "qua han");
    BOOST_TEST(fold_for_search("Ủy ban nhân dân tỉnh") == "uy ban nhan dan tinh");
    BOOST_TEST(fold_for_search("Sở Văn hóa, Thể thao và Du lịch") ==
               "so van hoa, the thao va du lich");
    BOOST_TEST(fold_for_search("ƯỚC LƯỢNG ĐƯỜNG ỐNG Ỹ") == "uoc luong duong ong y");
    // Every letter of the Vietnamese block folds to an ASCII letter.
    for (char32_t c = 0x1EA0; c <= 0x1EF9; ++c) {
        std::string utf8;
        utf8 += static_cast<char>(0xE0 | (c >> 12));
        utf8 += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
        const std::string folded = fold_for_search(utf8);
        BOOST_TEST_REQUIRE(folded.size() == 1u, static_cast<unsigned>(c));
        BOOST_TEST(std::string("aeiouy").find(folded[0]) != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(decomposed_text_folds_like_precomposed) {
    // "hệ" as h, e, combining dot below, combining circumflex.
    BOOST_TEST(fold_for_search("he\xcc\xa3\xcc\x82") == "he");
    BOOST_TEST(fold_for_search("pha\xcc\x82n he\xcc\xa3\xcc\x82") == fold_for_search("phân hệ"));
}

BOOST_AUTO_TEST_CASE(other_text_is_kept_and_bad_bytes_dropped) {
    BOOST_TEST(fold_for_search("12/KH-UBND 100%") == "12/kh-ubnd 100%");
    BOOST_TEST(fold_for_search("日本 €") == "日本 €");
    BOOST_TEST(fold_for_search("a\xff"
                               "b\xe1\xbb") == "ab");  // a stray byte, a cut-short character
    BOOST_TEST(fold_for_search("") == "");
}

BOOST_AUTO_TEST_SUITE_END()
