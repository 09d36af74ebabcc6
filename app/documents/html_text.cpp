#include "app/documents/html_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace flint::documents {
namespace {

// Elements whose content is never shown.
constexpr std::array<std::string_view, 5> kHidden = {"script", "style", "noscript", "template",
                                                     "svg"};
// Elements that start and end a block of text.
constexpr std::array<std::string_view, 40> kBlocks = {
    "address", "article", "aside", "blockquote", "body",     "caption",    "dd",     "details",
    "dialog",  "div",     "dl",    "dt",         "fieldset", "figcaption", "figure", "footer",
    "form",    "h1",      "h2",    "h3",         "h4",       "h5",         "h6",     "header",
    "hr",      "html",    "main",  "nav",        "ol",       "p",          "pre",    "section",
    "summary", "table",   "tbody", "thead",      "tfoot",    "title",      "ul",     "tr"};

constexpr std::array<std::pair<std::string_view, char32_t>, 52> kEntities = {{
    {"amp", U'&'},         {"lt", U'<'},          {"gt", U'>'},          {"quot", U'"'},
    {"apos", U'\''},       {"nbsp", U' '},        {"copy", U'\u00A9'},   {"reg", U'\u00AE'},
    {"trade", U'\u2122'},  {"hellip", U'\u2026'}, {"mdash", U'\u2014'},  {"ndash", U'\u2013'},
    {"lsquo", U'\u2018'},  {"rsquo", U'\u2019'},  {"ldquo", U'\u201C'},  {"rdquo", U'\u201D'},
    {"laquo", U'\u00AB'},  {"raquo", U'\u00BB'},  {"bull", U'\u2022'},   {"middot", U'\u00B7'},
    {"deg", U'\u00B0'},    {"plusmn", U'\u00B1'}, {"times", U'\u00D7'},  {"divide", U'\u00F7'},
    {"euro", U'\u20AC'},   {"pound", U'\u00A3'},  {"yen", U'\u00A5'},    {"cent", U'\u00A2'},
    {"sect", U'\u00A7'},   {"para", U'\u00B6'},   {"shy", U'\u00AD'},    {"micro", U'\u00B5'},
    {"aacute", U'\u00E1'}, {"agrave", U'\u00E0'}, {"acirc", U'\u00E2'},  {"auml", U'\u00E4'},
    {"eacute", U'\u00E9'}, {"egrave", U'\u00E8'}, {"ecirc", U'\u00EA'},  {"iacute", U'\u00ED'},
    {"oacute", U'\u00F3'}, {"ouml", U'\u00F6'},   {"uacute", U'\u00FA'}, {"uuml", U'\u00FC'},
    {"Auml", U'\u00C4'},   {"Ouml", U'\u00D6'},   {"Uuml", U'\u00DC'},   {"szlig", U'\u00DF'},
    {"ccedil", U'\u00E7'}, {"ntilde", U'\u00F1'}, {"larr", U'\u2190'},   {"rarr", U'\u2192'},
}};

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// Collects text the way a browser lays it out: runs of spaces become one, breaks between
// blocks become one blank line, and nothing dangles at either end.
class TextBuilder {
 public:
  void text(std::string_view s) {
    for (char c : s) {
      if (isSpace(c)) {
        pendingSpace_ = true;
      } else {
        flushPending();
        out_ += c;
      }
    }
  }
  void preformatted(std::string_view s) {
    if (s.empty()) return;
    flushPending();
    out_ += s;
  }
  void lineBreak() { pendingBreak_ = std::max(pendingBreak_, 1); }
  void paragraphBreak() { pendingBreak_ = 2; }
  std::string finish() {
    while (!out_.empty() && isSpace(out_.back())) out_.pop_back();
    return std::move(out_);
  }

 private:
  void flushPending() {
    if (pendingBreak_ > 0) {
      while (!out_.empty() && isSpace(out_.back())) out_.pop_back();  // a <pre>'s last break too
      if (!out_.empty()) out_ += pendingBreak_ == 2 ? "\n\n" : "\n";
    } else if (pendingSpace_ && !out_.empty() && !isSpace(out_.back())) {
      out_ += ' ';
    }
    pendingBreak_ = 0;
    pendingSpace_ = false;
  }

  std::string out_;
  int pendingBreak_ = 0;
  bool pendingSpace_ = false;
};

struct Tag {
  std::string name;  // lower case
  bool closing = false;
  std::size_t end = 0;  // one past the '>' (or the input's end)
};

// The tag at html[i] == '<', whose next character is a letter or '/'.
Tag parseTag(std::string_view html, std::size_t i) {
  Tag tag;
  std::size_t k = i + 1;
  if (k < html.size() && html[k] == '/') {
    tag.closing = true;
    ++k;
  }
  while (k < html.size() &&
         (isAlpha(html[k]) || isDigit(html[k]) || html[k] == '-' || html[k] == ':')) {
    if (tag.name.size() < 32) tag.name += lower(html[k]);
    ++k;
  }
  char quote = 0;  // attribute values may hold '>'
  for (; k < html.size(); ++k) {
    const char c = html[k];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      break;
    }
  }
  tag.end = std::min(k + 1, html.size());
  return tag;
}

// Where the element `name` opened before `from` closes: the '<' of "</name", or the end.
std::size_t findClosing(std::string_view html, std::size_t from, std::string_view name) {
  for (std::size_t k = html.find("</", from); k != std::string_view::npos;
       k = html.find("</", k + 2)) {
    std::size_t n = 0;
    while (n < name.size() && k + 2 + n < html.size() && lower(html[k + 2 + n]) == name[n]) ++n;
    if (n == name.size()) return k;
  }
  return html.size();
}

// The entity at html[i] == '&': its text and its length, or nothing to take it literally.
std::pair<std::string, std::size_t> decodeEntity(std::string_view html, std::size_t i) {
  std::size_t k = i + 1;
  std::string out;
  if (k < html.size() && html[k] == '#') {
    ++k;
    const bool hex = k < html.size() && (html[k] == 'x' || html[k] == 'X');
    if (hex) ++k;
    const std::size_t digitsStart = k;
    std::uint32_t value = 0;
    for (; k < html.size(); ++k) {
      const char c = html[k];
      int digit = -1;
      if (isDigit(c))
        digit = c - '0';
      else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
        digit = lower(c) - 'a' + 10;
      if (digit < 0) break;
      value = std::min<std::uint32_t>(value * (hex ? 16 : 10) + std::uint32_t(digit), 0x110000);
    }
    if (k == digitsStart) return {{}, 0};
    if (k < html.size() && html[k] == ';') ++k;
    appendUtf8(out, value);
    return {out, k - i};
  }
  while (k < html.size() && k - i <= 8 && (isAlpha(html[k]) || isDigit(html[k]))) ++k;
  if (k >= html.size() || html[k] != ';') return {{}, 0};
  const std::string_view name = html.substr(i + 1, k - i - 1);
  for (const auto& [entity, cp] : kEntities) {
    if (entity == name) {
      appendUtf8(out, cp);
      return {out, k + 1 - i};
    }
  }
  return {{}, 0};
}

bool contains(const auto& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

}  // namespace

std::string htmlToText(std::string_view html) {
  TextBuilder out;
  int preDepth = 0;
  std::size_t i = 0;
  auto emitText = [&](std::string_view s) {
    if (preDepth > 0)
      out.preformatted(s);
    else
      out.text(s);
  };
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      const auto [decoded, length] = decodeEntity(html, i);
      emitText(length ? std::string_view(decoded) : std::string_view("&"));
      i += std::max<std::size_t>(length, 1);
      continue;
    }
    if (c != '<') {
      std::size_t end = i;
      while (end < html.size() && html[end] != '<' && html[end] != '&') ++end;
      emitText(html.substr(i, end - i));
      i = end;
      continue;
    }
    const std::string_view rest = html.substr(i);
    if (rest.starts_with("<!--")) {
      const std::size_t close = html.find("-->", i + 4);
      i = close == std::string_view::npos ? html.size() : close + 3;
    } else if (rest.starts_with("<![CDATA[")) {
      const std::size_t close = html.find("]]>", i + 9);
      const std::size_t end = close == std::string_view::npos ? html.size() : close;
      emitText(html.substr(i + 9, end - (i + 9)));
      i = close == std::string_view::npos ? html.size() : close + 3;
    } else if (rest.size() > 1 && (rest[1] == '!' || rest[1] == '?')) {
      const std::size_t close = html.find('>', i);
      i = close == std::string_view::npos ? html.size() : close + 1;
    } else if (rest.size() > 1 && (isAlpha(rest[1]) || rest[1] == '/')) {
      const Tag tag = parseTag(html, i);
      i = tag.end;
      if (!tag.closing && contains(kHidden, tag.name)) {
        i = findClosing(html, i, tag.name);
        continue;  // the closing tag is parsed (and ignored) next
      }
      if (tag.name == "br") {
        out.lineBreak();
      } else if (tag.name == "li") {
        out.lineBreak();
        if (!tag.closing) out.text("- ");
      } else if (tag.name == "td" || tag.name == "th") {
        out.text(" ");
      } else if (contains(kBlocks, tag.name)) {
        out.paragraphBreak();
        if (tag.name == "pre") preDepth = std::max(0, preDepth + (tag.closing ? -1 : 1));
      }
    } else {
      emitText("<");
      ++i;
    }
  }
  return out.finish();
}

}  // namespace flint::documents
