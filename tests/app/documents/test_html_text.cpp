#include "app/documents/html_text.h"

#include <gtest/gtest.h>

namespace flint::documents {
namespace {

TEST(HtmlText, DropsTagsScriptsStylesAndComments) {
  const std::string text = htmlToText(
      "<!DOCTYPE html><html><head><title>Fans</title><style>p { color: red }</style>"
      "<script>var x = '<p>not text</p>';</script></head><body><!-- a comment -->"
      "<p class=\"a>b\">Install <b>the</b> fan.</p><noscript>enable js</noscript></body></html>");
  EXPECT_EQ(text, "Fans\n\nInstall the fan.");
}

TEST(HtmlText, DecodesEntities) {
  EXPECT_EQ(htmlToText("a &amp; b &lt;c&gt; &quot;d&quot; &#65;&#x42; caf&eacute; &euro;5"),
            "a & b <c> \"d\" AB café €5");
  // Unknown or malformed entities stay as written; bad code points become U+FFFD.
  EXPECT_EQ(htmlToText("&bogus; & &#; &#0; &#x110000;"), "&bogus; & &#; \xEF\xBF\xBD \xEF\xBF\xBD");
}

TEST(HtmlText, KeepsParagraphBreaksAndCollapsesSpaces) {
  EXPECT_EQ(htmlToText("<h1>Title</h1>\n  <p>one   two\n three</p><p>four<br>five</p>"
                       "<ul><li>x</li><li>y</li></ul>"),
            "Title\n\none two three\n\nfour\nfive\n\n- x\n- y");
}

TEST(HtmlText, KeepsPreformattedText) {
  EXPECT_EQ(htmlToText("<p>code:</p><pre>int  x;\n  y();</pre><p>end</p>"),
            "code:\n\nint  x;\n  y();\n\nend");
}

// Cut-off markup ends the text; nothing hangs or throws.
TEST(HtmlText, SurvivesBrokenMarkup) {
  EXPECT_EQ(htmlToText("text <!-- never closed"), "text");
  EXPECT_EQ(htmlToText("a <script>never closed"), "a");
  EXPECT_EQ(htmlToText("a < b and c <"), "a < b and c <");
  EXPECT_EQ(htmlToText("x <p title=\"unterminated"), "x");
  EXPECT_EQ(htmlToText("&#99999999999999999999;"), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace flint::documents
