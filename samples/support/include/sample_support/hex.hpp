// Lowercase hex, as both simulators print digests and keys.
#pragma once

#include <cstddef>
#include <string>

namespace sample_support {

// Lowercase hex of `size` bytes.
inline std::string hex(const unsigned char* bytes, std::size_t size) {
    static const char kDigits[] = "0123456789abcdef";
    std::string text;
    text.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        text += kDigits[bytes[i] >> 4];
        text += kDigits[bytes[i] & 15];
    }
    return text;
}

}  // namespace sample_support
