#pragma once
// The readable text of an HTML page: tags dropped, scripts, styles and other hidden parts
// dropped with their content, entities decoded, whitespace collapsed as a browser shows it
// (kept inside <pre>), and block elements (paragraphs, headings, list items, table rows)
// separated by line breaks so passages stay apart. Valid UTF-8 in gives valid UTF-8 out.
// Depends on nothing but the standard library, so the fuzz target builds it on its own.
#include <string>
#include <string_view>

namespace flint::documents {

std::string htmlToText(std::string_view html);

}  // namespace flint::documents
