#include "app/documents/chunker.h"

#include "app/store/utf8.h"

#include <algorithm>

namespace flint::documents {
namespace {

// A span of the text that stays whole inside a passage.
struct Unit {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::size_t tokens = 0;
};

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Calls `emit(offset, length)` for each part of text[begin, end) between separators, spaces
// around each part trimmed. `separatorEnd(i)` returns where a separator starting at i ends
// (i when none starts there).
template <typename SeparatorEnd, typename Emit>
void splitSpan(std::string_view text, std::size_t begin, std::size_t end, SeparatorEnd separatorEnd,
               Emit emit) {
  std::size_t start = begin;
  auto flush = [&](std::size_t stop) {
    while (start < stop && isSpace(text[start])) ++start;
    std::size_t last = stop;
    while (last > start && isSpace(text[last - 1])) --last;
    if (last > start) emit(start, last - start);
  };
  for (std::size_t i = begin; i < end;) {
    const std::size_t next = separatorEnd(i);
    if (next > i) {
      flush(i);
      start = next;
      i = next;
    } else {
      ++i;
    }
  }
  flush(end);
}

// A blank line: a line break, optional spaces, another line break.
std::size_t paragraphBreakEnd(std::string_view text, std::size_t i, std::size_t end) {
  if (text[i] != '\n') return i;
  std::size_t k = i + 1;
  while (k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r')) ++k;
  if (k >= end || text[k] != '\n') return i;
  while (k < end && isSpace(text[k])) ++k;
  return k;
}

// The space after ". ", "! " or "? " (the mark stays with its sentence), or a line break.
std::size_t sentenceBreakEnd(std::string_view text, std::size_t i) {
  if (text[i] == '\n') return i + 1;
  if (isSpace(text[i]) && i > 0 && (text[i - 1] == '.' || text[i - 1] == '!' || text[i - 1] == '?'))
    return i + 1;
  return i;
}

class Splitter {
 public:
  Splitter(std::string_view text, const engine::Tokenizer& tokenizer, std::size_t target)
      : text_(text), tokenizer_(tokenizer), target_(std::max<std::size_t>(target, 1)) {}

  // Units of text[offset, offset + length): itself when it fits the target, else finer parts.
  void addParagraph(std::size_t offset, std::size_t length) {
    const std::size_t tokens = count(offset, length);
    if (tokens <= target_) {
      units_.push_back({offset, length, tokens});
      return;
    }
    splitSpan(
        text_, offset, offset + length, [&](std::size_t i) { return sentenceBreakEnd(text_, i); },
        [&](std::size_t o, std::size_t l) { addSentence(o, l); });
  }

  std::vector<Unit> takeUnits() { return std::move(units_); }

 private:
  void addSentence(std::size_t offset, std::size_t length) {
    const std::size_t tokens = count(offset, length);
    if (tokens <= target_) {
      units_.push_back({offset, length, tokens});
      return;
    }
    splitSpan(
        text_, offset, offset + length,
        [&](std::size_t i) { return isSpace(text_[i]) ? i + 1 : i; },
        [&](std::size_t o, std::size_t l) { addWord(o, l); });
  }

  // A byte-level BPE token covers at least one byte, so `target_` bytes are at most
  // `target_` tokens: a long word is cut into pieces of that many bytes at most.
  void addWord(std::size_t offset, std::size_t length) {
    const std::size_t end = offset + length;
    while (offset < end) {
      std::size_t stop = std::min(end, offset + target_);
      while (stop > offset + 1 && stop < end && store::utf8SequenceLength(text_, stop) == 0) --stop;
      while (stop < end && store::utf8SequenceLength(text_, stop) == 0)
        ++stop;  // never mid-character
      units_.push_back({offset, stop - offset, count(offset, stop - offset)});
      offset = stop;
    }
  }

  std::size_t count(std::size_t offset, std::size_t length) const {
    return countTokens(tokenizer_, text_.substr(offset, length));
  }

  std::string_view text_;
  const engine::Tokenizer& tokenizer_;
  std::size_t target_;
  std::vector<Unit> units_;
};

}  // namespace

std::size_t countTokens(const engine::Tokenizer& tokenizer, std::string_view text) {
  return tokenizer.encode(text, engine::SpecialTokens::kPlainText).size();
}

std::vector<store::Chunk> chunkText(std::string_view text, const engine::Tokenizer& tokenizer,
                                    const ChunkOptions& options, const ImportProgress& progress) {
  Splitter splitter(text, tokenizer, options.targetTokens);
  splitSpan(
      text, 0, text.size(), [&](std::size_t i) { return paragraphBreakEnd(text, i, text.size()); },
      [&](std::size_t offset, std::size_t length) {
        progress.throwIfCancelled();
        splitter.addParagraph(offset, length);
        progress.report(0.8 * double(offset + length) / double(text.size()));
      });
  const std::vector<Unit> units = splitter.takeUnits();

  // Greedy packing: consecutive units while their counts stay within the target. The
  // separators between units go with the passage, so its count is taken again on its text.
  std::vector<store::Chunk> chunks;
  for (std::size_t first = 0; first < units.size();) {
    progress.throwIfCancelled();
    std::size_t last = first, tokens = units[first].tokens;
    // The space between two units is a token of its own, counted as one.
    while (last + 1 < units.size() && tokens + 1 + units[last + 1].tokens <= options.targetTokens)
      tokens += 1 + units[++last].tokens;
    store::Chunk chunk;
    chunk.ordinal = int(chunks.size());
    chunk.byteOffset = std::int64_t(units[first].offset);
    chunk.text = std::string(text.substr(
        units[first].offset, units[last].offset + units[last].length - units[first].offset));
    chunk.tokenCount = std::int64_t(countTokens(tokenizer, chunk.text));
    chunks.push_back(std::move(chunk));
    first = last + 1;
    progress.report(0.8 + 0.2 * double(first) / double(units.size()));
  }
  return chunks;
}

}  // namespace flint::documents
