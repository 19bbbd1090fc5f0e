#include "pcfdemo/html.h"

#include <gtest/gtest.h>

namespace pcfdemo {
namespace {

TEST(EscapeHtml, EscapesEveryCharacterThatCanOpenMarkupOrLeaveAnAttribute) {
  EXPECT_EQ(EscapeHtml("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  EXPECT_EQ(EscapeHtml("a\"b&c"), "a&quot;b&amp;c");
}

TEST(EscapeHtml, LeavesPlainTextAndMultibyteCharactersAlone) {
  EXPECT_EQ(EscapeHtml("0/abcd1234 r\xC3\xA9sum\xC3\xA9"), "0/abcd1234 r\xC3\xA9sum\xC3\xA9");
}

TEST(EscapeHtml, DropsControlCharactersButKeepsWhitespace) {
  EXPECT_EQ(EscapeHtml(std::string("a\0b\x1b[31mc\td\n", 12)), "ab[31mc\td\n");
}

}  // namespace
}  // namespace pcfdemo
